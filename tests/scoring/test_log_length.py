"""R-LOG-1: how long a day's log and each part appended to it may be."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from scoring.log_length import LengthFault, log_length
from scoring.plain_text import content_chars

# What a cadre types: content (Chinese, letters, digits) mixed with what carries none.
TEXTS = st.text(alphabet="走访低保台账ab12，。 !👍\n", max_size=60)


@st.composite
def limits(draw: st.DrawFn) -> dict[str, int]:
    """Limits as settings accept them: 2 ≤ append_min_chars ≤ min_chars ≤ max_chars."""
    append_min = draw(st.integers(2, 20))
    minimum = draw(st.integers(append_min, 30))
    return {"append_min_chars": append_min, "min_chars": minimum, "max_chars": draw(st.integers(minimum, 120))}


@given(st.lists(TEXTS, max_size=12), limits())
def test_the_total_is_the_stored_log_and_a_stored_log_is_never_too_long(texts, lim):
    stored: str | None = None
    for text in texts:
        length = log_length(text, None if stored is None else len(stored), **lim)
        after = text if stored is None else f"{stored}\n{text}"
        assert length.total == len(after)  # what storage will hold: each part after a newline
        assert length.words == content_chars(text)
        if length.fault is None:
            stored = after
    assert stored is None or len(stored) <= lim["max_chars"]


@given(TEXTS, st.none() | st.integers(0, 200), limits())
def test_only_content_counts_towards_a_minimum(text, existing, lim):
    length = log_length(text, existing, **lim)
    minimum = lim["min_chars"] if existing is None else lim["append_min_chars"]
    short = LengthFault.SHORT if existing is None else LengthFault.SHORT_PART
    if content_chars(text) == 0:
        assert length.fault is LengthFault.EMPTY
    elif content_chars(text) < minimum:
        assert length.fault is short
    else:  # long enough: only the whole day's log can still be too long
        assert length.fault in (None, LengthFault.LONG)
    # Punctuation, spaces and emoji around it change nothing about being too short.
    padded = log_length(f"  {text}！！👍", existing, **lim)
    assert (padded.fault in (LengthFault.EMPTY, short)) == (length.fault in (LengthFault.EMPTY, short))


@given(TEXTS, st.integers(0, 200), st.integers(0, 200), limits())
def test_a_text_long_enough_to_start_a_log_is_long_enough_to_append(text, existing, shorter, lim):
    """Appending is judged by the smaller minimum; a longer log so far only makes a text too
    long, never too short."""
    first = log_length(text, None, **lim)
    appended = log_length(text, existing, **lim)
    if first.fault not in (LengthFault.EMPTY, LengthFault.SHORT):
        assert appended.fault in (None, LengthFault.LONG)
    if appended.fault is None:
        assert log_length(text, min(shorter, existing), **lim).fault is None
