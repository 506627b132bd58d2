"""考实绩: the quarterly rating round as a conversation.

commands.py  chat commands and card answers (the router)

The round itself (open, score, hand in, close, publish; chat, CLI and jobs share it) is
handlers/services/rating.py, approved extra raters handlers/services/extra_raters.py, and the
template cards a rater and an admin see handlers/render/rating_cards.py.
"""
