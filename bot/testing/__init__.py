"""WeCom's side, played on loopback: test doubles for the tests and the demo, never for `serve`.

They ship in the package only because `make demo` and `shiji rehearse` run on them; production
code (bot/ outside bot/demo/, handlers/, scheduler/, storage/, scoring/) never imports them, which
tests/test_layering.py checks.

standin    loopback stand-in for WeCom's API that enforces `rules` (demo and tests)
simulator  WeCom's side of the callback: signs and encrypts like WeCom (tests, demo page, benchmarks)
rules      WeCom's documented rules for what an app sends, each beside its document path
"""
