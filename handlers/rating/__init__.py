"""考实绩: the quarterly rating round as a conversation.

commands.py  chat commands and card answers (the router)
service.py   the round itself: open, score, hand in, close, publish (chat, CLI and jobs share it)
cards.py     the template cards a rater and an admin see
extra_raters.py  approved extra raters of small units (R-RATE-6), from a file or a proposal
"""
