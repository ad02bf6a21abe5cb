"""Product titles and descriptions composed from product attributes.

Material and feature are hidden from the product table and surface only here, so
05's text and fusion models have something real to find: the material always
appears verbatim (lower case) in the description, a non-empty feature always
appears as the feature word or one of its synonyms (FEATURE_SYNONYMS).  Quality
leaks only weakly (premium-sounding adjectives are a little more likely).  Used by
the world generator (catalog) and shown in 00_data_tour and 05.
"""

from __future__ import annotations

import numpy as np

SUBCATEGORIES: dict[str, tuple[str, ...]] = {
    "tops": ("t-shirt", "shirt", "hoodie", "sweater"),
    "bottoms": ("jeans", "trousers", "shorts", "skirt"),
    "shoes": ("sneakers", "boots", "sandals"),
    "bags": ("backpack", "tote", "handbag"),
    "home": ("mug", "vase", "bowl"),
    "electronics": ("headphones", "speaker", "smartwatch"),
}
MATERIALS_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    "tops": ("organic cotton", "polyester", "recycled polyester", "wool", "linen", "bamboo", "acrylic"),
    "bottoms": ("organic cotton", "polyester", "recycled polyester", "denim", "linen", "wool"),
    "shoes": ("leather", "suede", "canvas", "polyester", "recycled polyester"),
    "bags": ("leather", "canvas", "nylon", "polyester", "recycled polyester"),
    "home": ("ceramic", "stoneware", "glass", "bamboo", "plastic"),
    "electronics": ("aluminium", "stainless steel", "plastic", "recycled plastic"),
}
FEATURES_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    "tops": ("wrinkle-free", "breathable", "quick-dry", "handmade"),
    "bottoms": ("stretchy", "wrinkle-free", "quick-dry"),
    "shoes": ("waterproof", "lightweight", "slip-resistant", "handmade"),
    "bags": ("waterproof", "lightweight", "anti-theft", "handmade"),
    "home": ("handmade", "dishwasher-safe", "microwave-safe"),
    "electronics": ("noise-cancelling", "waterproof", "wireless", "fast-charging"),
}
# every way a feature is written; the first entry is the canonical feature name
FEATURE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "waterproof": ("waterproof", "water-resistant", "rain-proof"),
    "lightweight": ("lightweight", "ultra-light", "featherlight"),
    "handmade": ("handmade", "hand-crafted", "artisan-made"),
    "noise-cancelling": ("noise-cancelling", "noise-blocking", "ANC noise-cancelling"),
    "wrinkle-free": ("wrinkle-free", "crease-resistant", "non-iron"),
    "breathable": ("breathable", "airy", "well-ventilated"),
    "quick-dry": ("quick-dry", "quick-drying", "fast-drying"),
    "stretchy": ("stretchy", "stretch-fit", "elastic"),
    "slip-resistant": ("slip-resistant", "non-slip", "anti-slip"),
    "anti-theft": ("anti-theft", "theft-resistant", "pickpocket-proof"),
    "dishwasher-safe": ("dishwasher-safe", "dishwasher-proof", "dishwasher-friendly"),
    "microwave-safe": ("microwave-safe", "microwave-proof", "microwave-friendly"),
    "wireless": ("wireless", "cordless", "cable-free"),
    "fast-charging": ("fast-charging", "rapid-charging", "quick-charging"),
}
_SUB_WORDS: dict[str, tuple[str, ...]] = {
    "t-shirt": ("t-shirt", "tee", "crew-neck t-shirt"), "shirt": ("shirt", "button-up shirt", "button-down shirt"),
    "hoodie": ("hoodie", "hooded sweatshirt", "pullover hoodie"), "sweater": ("sweater", "jumper", "knit sweater"),
    "jeans": ("jeans", "five-pocket jeans", "slim jeans"), "trousers": ("trousers", "pants", "chinos"),
    "shorts": ("shorts", "summer shorts", "casual shorts"), "skirt": ("skirt", "midi skirt", "A-line skirt"),
    "sneakers": ("sneakers", "trainers", "low-top sneakers"), "boots": ("boots", "ankle boots", "lace-up boots"),
    "sandals": ("sandals", "summer sandals", "slides"), "backpack": ("backpack", "rucksack", "daypack"),
    "tote": ("tote bag", "tote", "shopper bag"), "handbag": ("handbag", "shoulder bag", "purse"),
    "mug": ("mug", "coffee mug", "cup"), "vase": ("vase", "flower vase", "bud vase"),
    "bowl": ("bowl", "serving bowl", "salad bowl"),
    "headphones": ("headphones", "over-ear headphones", "headset"),
    "speaker": ("speaker", "portable speaker", "mini speaker"), "smartwatch": ("smartwatch", "fitness watch"),
}
# colour synonyms stay shade-neutral: the shade is only visible in the image
_COLOUR_WORDS: dict[str, tuple[str, ...]] = {
    "grey": ("grey", "gray"), "navy": ("navy", "navy blue"),
}
_PREMIUM_ADJ = ("premium", "luxury", "bestselling", "top-rated")
_PLAIN_ADJ = ("classic", "everyday", "essential", "modern", "signature", "new")

_TITLES = (  # a = adjective, f = feature, m = material (each "" or "word ")
    "{b} {a}{f}{c} {m}{s}",
    "{b} {a}{f}{m}{s} in {c}",
    "{a}{f}{c} {m}{s} by {b}",
    "{b} {a}{f}{m}{s} - {c}",
    "{b} | {a}{f}{m}{s}, {c}",
    "{b} {a}{f}{m}{s} ({c})",
)
_INTRO_WITH_MATERIAL = (
    "{This} {c} {s} from {b} {is} made from {m}.",
    "Made from {m}, {this} {s} from {b} {comes} in {c}.",
    "{b}'s {s} {is} crafted from {m} and {comes} in {c}.",
    "Our {c} {s} {is} made of {m}.",
    "Crafted from {m}, {this} {c} {s} by {b} {is} made to last.",
    "The {b} {s} {comes} in {c} and {is} made from {m}.",
)
_INTRO_PLAIN = (
    "{This} {c} {s} from {b} {is} a great addition to your collection.",
    "Meet the {b} {s} in {c}.",
    "Discover the {c} {s} from {b}.",
    "The {b} {s} {comes} in {c}.",
    "Say hello to our {c} {s} by {b}.",
)
_MATERIAL_SENTENCE = ("Material: {m}.", "{It} {is} made from {m}.", "The {s} {is} crafted from {m}.",
                      "Made with {m} for a great feel.", "Outer: {m}.")
_FEATURE_SENTENCE = ("{It} {is} {f}.", "Key feature: {f}.", "Best of all, {it} {is} {f}.",
                     "{This} {s} {is} {f}.", "Designed to be {f}.")
_CATEGORY_SENTENCES: dict[str, tuple[str, ...]] = {
    "tops": ("Perfect for layering or wearing on its own.", "A relaxed cut for everyday wear.",
             "Easy to dress up or down.", "Pairs well with jeans or chinos."),
    "bottoms": ("A flattering cut that pairs well with any top.", "Designed for all-day comfort.",
                "Features two side pockets.", "A versatile piece for work or weekends."),
    "shoes": ("A cushioned insole keeps you comfortable all day.", "Finished with a durable sole.",
              "A timeless silhouette for every outfit.", "Designed for all-day comfort."),
    "bags": ("The roomy main compartment fits all your essentials.", "An inner pocket keeps small items organised.",
             "The adjustable strap makes it comfortable to carry.", "Big enough for a laptop and more."),
    "home": ("A lovely addition to any kitchen or living room.", "Makes a thoughtful gift.",
             "Designed to brighten up your home.", "Sized for everyday use."),
    "electronics": ("Simple controls make it easy to use.", "Comes with a one-year warranty.",
                    "A sleek design that suits any setup.", "Battery lasts up to 20 hours."),
}
_FILLER = ("Free returns within 30 days.", "A great gift idea.", "Designed in our studio.",
           "Order yours today.", "Available in limited quantities.")
_QUALITY_FILLER = ("One of our bestsellers.", "Customers love it.", "Top-rated by our customers.")


def _is_plural(word: str) -> bool:
    return word.endswith("s") and not word.endswith("ss")


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _title_case(s: str) -> str:
    small = {"in", "by", "and", "with", "of"}
    return " ".join(w if w in small else _cap(w) for w in s.split(" "))


def _pick(options: tuple[str, ...], u: float) -> str:
    return options[min(int(u * len(options)), len(options) - 1)]


def _check(category, subcategory, brand, colour, material, feature, quality) -> np.ndarray:
    q = np.asarray(quality, dtype=float)
    if q.ndim != 1:
        raise ValueError("quality must be a 1-d array")
    n = q.shape[0]
    for name, seq in (("category", category), ("subcategory", subcategory), ("brand", brand),
                      ("colour", colour), ("material", material), ("feature", feature)):
        if len(seq) != n:
            raise ValueError(f"{name} has length {len(seq)}, expected {n} (length of quality)")
    unknown = sorted(set(category) - set(MATERIALS_BY_CATEGORY))
    if unknown:
        raise ValueError(f"category has unknown values {unknown}; expected {tuple(MATERIALS_BY_CATEGORY)}")
    if any(not m for m in material):
        raise ValueError("material must be a non-empty string for every product")
    if not np.all(np.isfinite(q)):
        raise ValueError("quality must be finite")
    return q


def product_texts(
    rng: np.random.Generator,
    category: list[str],
    subcategory: list[str],
    brand: list[str],
    colour: list[str],
    material: list[str],
    feature: list[str],
    quality: np.ndarray,
) -> tuple[list[str], list[str]]:
    """Compose (titles, descriptions), one per product; feature "" means no feature.

    Used by the world generator's catalog; the texts are read in 00 and modelled in 05.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator")
    q = _check(category, subcategory, brand, colour, material, feature, quality)
    n = q.shape[0]
    u = rng.random((n, 24))  # every random choice of a row comes from its own column
    premium_p = 1.0 / (1.0 + np.exp(-(-1.2 + 0.6 * q)))  # weak quality signal
    bestseller_p = 1.0 / (1.0 + np.exp(-(-2.6 + 0.7 * q)))
    titles: list[str] = []
    descriptions: list[str] = []
    for i in range(n):
        r = u[i]
        cat, m, f = category[i], material[i], feature[i]
        sub_words = _SUB_WORDS.get(subcategory[i], (subcategory[i],))
        s_desc = _pick(sub_words, r[1])
        c = _pick(_COLOUR_WORDS.get(colour[i], (colour[i],)), r[2])
        adj = ""
        if r[3] < 0.5:
            adj = _pick(_PREMIUM_ADJ if r[4] < premium_p[i] else _PLAIN_ADJ, r[5]) + " "
        f_syn = FEATURE_SYNONYMS.get(f, (f,))
        f_title = _pick(f_syn, r[6]) + " " if f and r[7] < 0.4 else ""
        m_title = m + " " if r[8] < 0.35 else ""
        title = _pick(_TITLES, r[9]).format(b=brand[i], a=adj, f=f_title, c=c, m=m_title,
                                            s=_pick(sub_words, r[0]))
        titles.append(_title_case(title) if r[10] < 0.4 else _cap(title))

        plural = _is_plural(s_desc)
        words = {"b": brand[i], "c": c, "s": s_desc, "m": m, "f": _pick(f_syn, r[11]),
                 "This": "These" if plural else "This", "this": "these" if plural else "this",
                 "is": "are" if plural else "is", "It": "They" if plural else "It",
                 "it": "they" if plural else "it", "comes": "come" if plural else "comes"}
        middle: list[str] = []
        if r[12] < 0.5:
            intro = _pick(_INTRO_WITH_MATERIAL, r[13])
        else:
            intro = _pick(_INTRO_PLAIN, r[13])
            middle.append(_pick(_MATERIAL_SENTENCE, r[14]))
        if f:
            middle.append(_pick(_FEATURE_SENTENCE, r[15]))
        if r[16] < 0.8:
            middle.append(_pick(_CATEGORY_SENTENCES[cat], r[17]))
        if r[18] < 0.5:
            middle.reverse()
        tail: list[str] = []
        if r[19] < 0.35:
            tail.append(_pick(_FILLER, r[20]))
        if r[21] < bestseller_p[i]:
            tail.append(_pick(_QUALITY_FILLER, r[22]))
        sentences = [intro, *middle, *tail]
        descriptions.append(" ".join(_cap(t.format(**words)) for t in sentences))
    return titles, descriptions
