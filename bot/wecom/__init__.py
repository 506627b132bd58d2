"""The WeCom (企业微信) adapter: everything that speaks WeCom's protocols, and nothing else.

crypto     callback signature, timestamp window and AES (`CallbackCrypto`)
inbound    decrypted callback XML → typed `Inbound`
xmldoc     callback XML → xmltodict-shaped dicts; refuses DTDs, entities, PIs, deep or wide XML
reply      passive-reply XML (text, update_button, update_template_card)
errors     `CallbackRejected` and the exceptions hostile input can raise
api        outgoing API client (token, message/send, card updates, per-member rate limit)

WeCom's own side (the loopback stand-in, the callback simulator, its rule checks) is bot/testing/.
"""
