"""用实绩: the year's close as a conversation.

commands.py    chat commands and card answers (the router)
decisions.py   能否提拔, the promotion / commendation / last-place lists, 我的得分 2026

What chat, the CLI and jobs share is on the service floor: handlers/services/year_evaluation.py
(the democratic evaluation round), year_imports.py, year_publish.py, year_ties.py; the cards
are handlers/render/year_cards.py.
"""
