"""`make demo`: the sample district a few weeks into real use, a WeCom-like page to try it in a
browser, and a business clock that can be moved. Nothing here runs under `shiji serve`."""
