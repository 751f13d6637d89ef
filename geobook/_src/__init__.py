"""Private implementation helpers of geobook (no public API here)."""
