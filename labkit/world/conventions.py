"""The shop's conventions: vocabularies and id numbering shared by the generator and the cleaner.

The generator (``labkit.world``) draws with them and the raw-export cleaner
(``labkit.cleaning``, 01_data_cleaning) repairs towards them, so they live here, once,
below both. Changing one changes the world (its fingerprint hashes this file).
"""

from __future__ import annotations

CATEGORIES = ("tops", "bottoms", "shoes", "bags", "home", "electronics")
REGIONS = ("north", "south", "east", "west", "international")
DEVICES = ("mobile", "desktop", "tablet")
AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55+")
SEGMENTS = ("bargain_hunter", "regular", "premium", "new")
INVOICE_OFFSET = 500_000  # invoice number = order id + INVOICE_OFFSET
CUSTOMER_OFFSET = 10_000  # the raw export's customer number = user id + CUSTOMER_OFFSET
