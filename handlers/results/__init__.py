"""Published results read back: rankings in chat (排名) with charts, and the annual figures
the archive shows; the quarterly side reads the rating rounds, the annual side
handlers/services/annual.py. The charts are handlers/render/charts.py."""
