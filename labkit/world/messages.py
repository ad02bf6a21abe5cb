"""Customer support messages written from an intent, an optional order reference and a product.

Each intent has many paraphrases; greetings, thanks, sign-offs, casual lower-case
style and rare typos vary the surface, and words such as "order", "delivery" or
"refund" are shared between intents, so keyword rules are not enough.  Used by the
world generator (feedback); 04 trains the intent classifier on these texts.
"""

from __future__ import annotations

import re

import numpy as np

from ..schema import INTENTS
from .reviews import add_typo

# {order}: "order #A102938" / "my order #A102938" when a reference is given, else "my order";
# {product}: the product name
_TEMPLATES: dict[str, tuple[str, ...]] = {
    "order_status": (
        "Where is {order}? It still hasn't arrived.",
        "Can you tell me when {order} will be delivered?",
        "I placed {order} a week ago and the tracking hasn't updated.",
        "Any update on {order}? The {product} was supposed to arrive yesterday.",
        "What's the status of {order}?",
        "The tracking link shows nothing for {order}. Has it shipped yet?",
        "I'm still waiting for the {product} I ordered. When will it be shipped?",
        "Has {order} been dispatched? I need the {product} by Friday.",
        "The delivery date for {order} keeps changing, where is my parcel?",
        "How long does shipping usually take? Still waiting on {order}.",
    ),
    "return_refund": (
        "I'd like to return the {product} from {order}. How do I get a refund?",
        "The {product} isn't what I expected, can I send it back?",
        "I sent back {order} two weeks ago and still haven't received my refund.",
        "How do I return an item? The {product} doesn't suit me.",
        "Can I get my money back for the {product}?",
        "When will my refund for {order} be processed?",
        "I want to return the {product}, what's your returns policy?",
        "Please send me a return label for {order}.",
        "I returned the {product} but the refund hasn't shown up on my card yet.",
    ),
    "size_question": (
        "Does the {product} run small or true to size?",
        "I'm usually a medium, which size of the {product} should I order?",
        "What are the measurements of the {product} in size L?",
        "Is there a size chart for the {product}?",
        "I'm between sizes, should I size up for the {product}?",
        "Will the {product} fit someone who is 180 cm tall?",
        "Do you have the {product} in a smaller size?",
        "The {product} from {order} is a bit tight, does the next size up run larger?",
        "How does the sizing of the {product} compare to other brands?",
    ),
    "payment_problem": (
        "My card was declined when I tried to pay for the {product}.",
        "I was charged twice for {order}.",
        "The payment page keeps failing at checkout.",
        "Why was my card charged when {order} didn't go through?",
        "I can't pay with PayPal, it gives an error.",
        "My discount code didn't apply at checkout and I paid full price for {order}.",
        "The checkout says payment failed but the money left my account.",
        "Can I pay by bank transfer? My card isn't working.",
        "I see a pending charge for {order} that I don't recognise.",
    ),
    "cancel_order": (
        "Please cancel {order}.",
        "I ordered the {product} by mistake, can you cancel it?",
        "I'd like to cancel {order} before it ships.",
        "Is it too late to cancel {order}?",
        "Please cancel {order}, I found the {product} elsewhere.",
        "I changed my mind about the {product}, please cancel the order.",
        "How do I cancel an order? I placed {order} an hour ago.",
        "Can you stop {order} from being shipped? I don't need it anymore.",
        "Please don't send {order}, I want to cancel it.",
    ),
    "product_question": (
        "Is the {product} machine washable?",
        "What is the {product} made of?",
        "Does the {product} come in other colours?",
        "Is the {product} waterproof?",
        "Will the {product} be back in stock soon?",
        "Does the {product} come with a warranty?",
        "Can you tell me more about the {product}? Is it good for travel?",
        "How heavy is the {product}?",
        "Is the {product} suitable as a gift? Do you offer gift wrapping?",
        "Before I order, is the {product} easy to clean?",
    ),
    "damaged_delivery": (
        "The {product} arrived broken.",
        "{order} arrived today but the box was crushed and the {product} is damaged.",
        "I received the {product} with a big scratch on it.",
        "There's a tear in the {product} I got in {order}.",
        "The parcel was soaked and the {product} inside is ruined.",
        "Part of {order} is missing and the rest arrived damaged.",
        "My {product} came cracked, what can you do?",
        "The {product} was delivered with a stain and a hole in it.",
        "The delivery of {order} was a mess, the {product} was smashed.",
    ),
    "account_help": (
        "I can't log in to my account.",
        "I forgot my password and the reset email never comes.",
        "How do I change the email address on my account?",
        "My account got locked after too many login attempts.",
        "Can you delete my account and my data?",
        "I can't see {order} in my account order history.",
        "How do I update the delivery address saved in my profile?",
        "I have two accounts by mistake, can you merge them?",
        "The app keeps logging me out of my account.",
    ),
}
_GREETINGS = ("Hi,", "Hello,", "Hi there,", "Good morning,", "Dear support team,", "Hey,", "Hello team,")
_THANKS = ("Thanks in advance.", "Thank you!", "Appreciate your help.", "Thanks.", "Many thanks.")
_SIGN_OFFS = ("Best, Sam", "Kind regards, Alex", "Regards, J.", "Cheers, Maria", "Best wishes, Tom")
_P_GREETING, _P_THANKS, _P_SIGN_OFF, _P_CASUAL, _P_TYPO = 0.4, 0.3, 0.15, 0.15, 0.04
_PUNCT = re.compile(r"[?.!,']")


def _order_phrase(ref: str | None, u: float) -> str:
    if ref is None:
        return "my order" if u < 0.7 else "my last order"
    return f"order {ref}" if u < 0.5 else f"my order {ref}"


def _product_phrase(name: str) -> str:
    """Plural product names become "pair of ..." so the templates' verbs agree."""
    return f"pair of {name}" if name.endswith("s") and not name.endswith("ss") else name


def compose_messages(
    rng: np.random.Generator, intent: np.ndarray, order_ref: list[str | None], product_name: list[str]
) -> list[str]:
    """Write one support message per row for intents from labkit.schema.INTENTS.

    order_ref (e.g. "#A102938") may be None; used by the world generator (feedback) and 04.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator")
    intents = np.asarray(intent).astype(str)
    if intents.ndim != 1:
        raise ValueError("intent must be a 1-d array of intent names")
    n = intents.shape[0]
    if len(order_ref) != n or len(product_name) != n:
        raise ValueError(f"order_ref ({len(order_ref)}) and product_name ({len(product_name)}) "
                         f"must have the length of intent ({n})")
    unknown = sorted(set(intents.tolist()) - set(INTENTS))
    if unknown:
        raise ValueError(f"intent has unknown values {unknown}; expected one of {INTENTS}")
    u = rng.random((n, 12))
    out: list[str] = []
    for i in range(n):
        r = u[i]
        options = _TEMPLATES[intents[i]]
        body = options[int(r[0] * len(options))]
        casual = r[1] < _P_CASUAL
        pieces = []
        if r[2] < _P_GREETING:
            pieces.append(_GREETINGS[int(r[3] * len(_GREETINGS))])
            if not body.startswith(("I ", "I'")):  # "Hi, where is ..." reads better than "Hi, Where is ..."
                body = body[:1].lower() + body[1:]
        pieces.append(body)
        if r[4] < _P_THANKS:
            pieces.append(_THANKS[int(r[5] * len(_THANKS))])
        if r[6] < _P_SIGN_OFF:
            pieces.append(_SIGN_OFFS[int(r[7] * len(_SIGN_OFFS))])
        text = " ".join(pieces)
        if casual:  # lower case, no punctuation; slots are filled afterwards so they stay intact
            text = _PUNCT.sub("", text.lower())
        order = _order_phrase(order_ref[i], r[8])
        text = text.replace("{order}", order).replace("{product}", _product_phrase(str(product_name[i])))
        if not casual:
            text = text[:1].upper() + text[1:]
        if r[9] < _P_TYPO:
            text = add_typo(text, r[10], r[11])
        out.append(text)
    return out
