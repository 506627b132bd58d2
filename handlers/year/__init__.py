"""用实绩: the year's close as a conversation.

commands.py    chat commands and card answers (the router)
evaluation.py  the democratic evaluation round: open, mark, hand in, close, remind
cards.py       the evaluation's two-step cards and its submit card
imports.py     unit results, earlier years' history, excused quarters
publish.py     publishing the year (frozen versions) and what it tells people
decisions.py   能否提拔, the promotion / commendation / last-place lists, 我的得分 2026
"""
