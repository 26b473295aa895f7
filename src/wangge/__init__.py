"""wangge (网格): party-building-led grid governance."""

__version__ = "0.1.0"
