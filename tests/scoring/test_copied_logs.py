"""Copied and boilerplate logs (issue 26, item 5) on a labelled sample: 280 logs of 14 cadres
in 3 units over 4 weeks (tests/fixtures/copied_logs.json, made by make_copied_logs.py), with
legitimate recurring duties (值班, 例会, the same rota words every week) that must not be
flagged, and own repeats, padded repeats, colleagues' copies and 套话 that must."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from scoring.copied_logs import DayLog, Flag, flag_logs, substance, template_share
from scoring.rule_settings import TrustSettings

SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "copied_logs.json"
PRECISION_FLOOR = 0.9
RECALL_FLOOR = 0.85


def labelled() -> list[dict]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def test_precision_and_recall_on_the_labelled_sample(capsys):
    rows = labelled()
    # The sample lists logs in the order they were written.
    logs = [DayLog(r["author"], r["unit"], date.fromisoformat(r["day"]), r["content"], i) for i, r in enumerate(rows)]
    flags = flag_logs(logs, TrustSettings().rules, min(log.day for log in logs), max(log.day for log in logs))
    flagged = {(f.author, f.day.isoformat()) for f in flags}
    truth = {(r["author"], r["day"]) for r in rows if r["copied"]}
    hits = flagged & truth
    precision, recall = len(hits) / len(flagged), len(hits) / len(truth)
    wrongly = [r for r in rows if (r["author"], r["day"]) in flagged - truth]
    with capsys.disabled():
        print(f"\ncopied logs: {len(rows)} labelled, {len(truth)} copied; flagged {len(flagged)}, "
              f"precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= PRECISION_FLOOR, wrongly
    assert recall >= RECALL_FLOOR, sorted(truth - flagged)
    duties = {(r["author"], r["day"]) for r in rows if r["why"] == "duty"}
    assert not duties & flagged  # a rota is never a copy


def test_a_rota_repeated_every_day_is_never_flagged():
    rules = TrustSettings().rules
    rota = "全天带班值班，24小时在岗，无突发情况"
    logs = [DayLog("u1", 1, date(2026, 11, d), rota) for d in (16, 17, 18, 19, 20)]
    logs += [DayLog("u2", 1, date(2026, 11, d), "参加镇党委周例会，汇报民政条线本周工作进展") for d in (16, 23)]
    assert flag_logs(logs, rules, date(2026, 11, 16), date(2026, 11, 23)) == []
    assert substance(rota, rules.routine_words) == ""


def test_a_copy_a_padded_copy_and_template_phrases_are_flagged_with_what_they_repeat():
    rules = TrustSettings().rules
    work = "上午走访东街社区12户低保家庭，核实家庭收入和住房情况；下午整理民政救助台账，补齐缺失材料5份"
    logs = [
        DayLog("u1", 1, date(2026, 11, 16), work),
        DayLog("u1", 1, date(2026, 11, 17), work.replace("12户", "13户") + "，效果良好"),
        DayLog("u2", 1, date(2026, 11, 17), "今天" + work, written=1.0),
        DayLog("u3", 1, date(2026, 11, 17), "认真学习贯彻上级会议精神，进一步提高思想认识，扎实推进各项工作落实"),
    ]
    flags = {(f.author, f.day.day): f for f in flag_logs(logs, rules, date(2026, 11, 17), date(2026, 11, 17))}
    assert flags[("u1", 17)].flag is Flag.own_repeat and flags[("u1", 17)].like_day == date(2026, 11, 16)
    assert flags[("u2", 17)].flag is Flag.colleague_copy
    assert flags[("u3", 17)].flag is Flag.boilerplate
    assert template_share(logs[3].content, rules.template_phrases) > 0.9
