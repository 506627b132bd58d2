"""How long a message waits for a database that is away, as WeCom sees it: no answer within
5 s and it delivers the message again, up to 4 deliveries (docs/wecom/NOTES.md)."""

from __future__ import annotations

from bot.dispatch import RETRY_DELAYS, WECOM_DEADLINE_SECONDS, WECOM_DELIVERIES, give_up_at

# When WeCom delivers a message none of whose deliveries is answered.
ARRIVALS = [n * WECOM_DEADLINE_SECONDS for n in range(WECOM_DELIVERIES)]
MARGIN = 1.0  # for the answer to travel back (nginx, WeCom's network)


def test_nobody_is_told_to_resend_while_wecom_will_deliver_again() -> None:
    for deliveries, arrival in enumerate(ARRIVALS[:-1], start=1):
        # Still at work when this delivery's deadline passes and the next one arrives to wait for it.
        assert give_up_at(deliveries, arrival) > ARRIVALS[deliveries]


def test_the_last_delivery_is_told_to_resend_while_wecom_still_listens() -> None:
    last = ARRIVALS[-1]
    # The last attempt starts before the give-up time; failing it takes at most one retry delay.
    assert give_up_at(WECOM_DELIVERIES, last) + RETRY_DELAYS[-1] <= last + WECOM_DEADLINE_SECONDS - MARGIN
