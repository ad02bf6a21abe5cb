"""The phrase bank of the synthetic reviews: clauses per aspect and sentiment level, frames, fillers.

Data only; :mod:`labkit.world.reviews` composes reviews from it. Levels: 0 strong negative,
1 mild negative, 2 neutral, 3 mild positive, 4 strong positive. 04 models the texts.
"""

from __future__ import annotations

STRONG = ("", "really ", "truly ")  # fills {i}
HEDGE = ("", "quite ", "pretty ", "fairly ")  # fills {h}
# frames whose negation scopes over a whole clause of the opposite polarity (see reviews._with_scoped)
SCOPES = ("I wouldn't say {c}", "I can't say {c}", "I don't think {c}", "I wouldn't claim {c}")

# PHRASES[aspect][level] = (plain clauses, negated clauses)
PHRASES: dict[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = {
    "quality": (
        (("it fell apart after a week", "the quality is {i}terrible", "the fabric quality is {i}awful",
          "it broke after two days", "the stitching came undone after one wash", "the quality is {i}dreadful"),
         ("the quality is not good at all", "it didn't even last a week", "the quality is not acceptable",
          "it's not durable at all", "couldn't believe how badly made it is")),
        (("the quality is a bit disappointing", "the fabric feels a bit thin", "the stitching is slightly loose",
          "the quality is a little below what I hoped", "the material feels a bit flimsy"),
         ("the quality is not great", "the quality is not the best", "the quality isn't what I expected",
          "not the best quality", "the material doesn't feel very sturdy", "the quality isn't great")),
        (("the quality is ok", "quality is average", "the quality is as expected", "it's standard quality",
          "the quality is acceptable"),
         ("the quality is nothing special", "nothing remarkable about the quality",
          "the quality is neither good nor bad")),
        (("the quality is {h}good", "{h}decent quality", "the material feels {h}nice", "it seems {h}well made"),
         ("the quality is not bad at all", "the quality isn't bad", "can't complain about the quality",
          "the fabric didn't disappoint", "not bad quality at all")),
        (("the quality is {i}excellent", "the fabric quality is {i}excellent", "it feels {i}well made",
          "the build quality is {i}superb", "the quality is {i}amazing", "it's {i}sturdy and built to last"),
         ("couldn't be happier with the quality", "can't fault the quality",
          "no complaints at all about the quality", "never had anything this well made")),
    ),
    "fit": (
        (("the fit is {i}terrible", "it's way too small", "the sizing is completely wrong", "it was {i}huge on me",
          "it fits {i}badly", "the cut is {i}awful"),
         ("it doesn't fit at all", "the fit is not good at all", "couldn't even get it on",
          "the size was not even close")),
        (("it's a bit tight", "it runs a little small", "the fit is slightly off", "it's a bit loose",
          "the sizing is a bit inconsistent"),
         ("the fit is not great", "the fit isn't the best", "it doesn't fit quite right",
          "the sizing is not ideal", "the fit isn't ideal")),
        (("it fits as expected", "the fit is ok", "the fit is standard", "the size is as described",
          "the sizing is normal"),
         ("the fit is nothing special", "no surprises with the sizing", "nothing unusual about the fit")),
        (("it fits {h}well", "the fit is {h}good", "the size is about right", "it's {h}comfortable to wear"),
         ("the fit is not bad at all", "the fit isn't bad", "can't complain about the fit",
          "the sizing didn't disappoint", "not a bad fit at all")),
        (("the fit is {i}perfect", "it fits {i}perfectly", "it fits like a glove", "the size is spot on",
          "the fit is {i}great", "the sizing is {i}accurate"),
         ("couldn't ask for a better fit", "no issues with the fit at all", "the sizing couldn't be better",
          "never had a better fit")),
    ),
    "delivery": (
        (("delivery was {i}slow", "it took three weeks to arrive", "the parcel got lost twice",
          "shipping was a total nightmare", "delivery was {i}awful", "the courier was {i}rude"),
         ("delivery was not good at all", "it didn't arrive for weeks", "the courier didn't even ring the bell",
          "delivery was not acceptable")),
        (("delivery was a bit slow", "it arrived a few days late", "shipping took a little longer than promised",
          "the box was slightly dented", "delivery was somewhat delayed"),
         ("delivery was not great", "delivery wasn't the fastest", "shipping was not the best",
          "it didn't arrive on the promised day", "delivery wasn't great")),
        (("delivery was ok", "it arrived when expected", "shipping took the usual few days",
          "delivery was standard", "delivery was average"),
         ("nothing special about the delivery", "no surprises with shipping",
          "delivery was neither fast nor slow")),
        (("delivery was {h}quick", "it arrived on time", "shipping was {h}smooth", "delivery was {h}good"),
         ("delivery was not bad at all", "shipping wasn't slow", "can't complain about the delivery",
          "delivery wasn't bad", "no problems with the delivery")),
        (("delivery was {i}fast", "it arrived the next day", "shipping was {i}quick",
          "the parcel came two days early", "delivery was {i}speedy", "shipping was {i}excellent"),
         ("delivery couldn't have been faster", "no delays at all with shipping",
          "never had such a quick delivery", "can't fault the delivery")),
    ),
    "price": (
        (("{i}overpriced", "a total rip-off", "way too expensive", "the price is {i}ridiculous",
          "{i}poor value for money", "the price is {i}outrageous"),
         ("not worth the money", "definitely not worth the price", "the price is not justified at all",
          "wouldn't pay this much again")),
        (("a bit overpriced", "slightly expensive for what it is", "the price is a little high", "a bit pricey"),
         ("the price is not great", "not the best value", "the price isn't really justified",
          "not cheap for what it is", "the price isn't great")),
        (("the price is ok", "the price is about average", "priced as expected",
          "standard price for this kind of item", "the price is normal"),
         ("nothing special price-wise", "no surprises with the price", "the price is neither cheap nor expensive")),
        (("{h}good value", "the price is {h}fair", "{h}reasonably priced", "{h}affordable"),
         ("the price is not bad at all", "it wasn't cheap, still worth it", "not too expensive",
          "the price isn't bad", "not a bad price")),
        (("{i}great value for money", "the price is {i}excellent", "it's a bargain", "a steal at this price",
          "worth every penny", "the price is {i}unbeatable"),
         ("couldn't beat the price", "can't argue with the price", "you won't find it cheaper anywhere",
          "never paid so little for something this good")),
    ),
    "looks": (
        (("it looks {i}ugly", "the colour is {i}awful", "it looks {i}cheap", "the design is {i}hideous",
          "the print is {i}tacky"),
         ("it doesn't look good at all", "it looks nothing like the picture", "the colour is not nice at all",
          "not pretty at all")),
        (("the colour is a bit dull", "it looks slightly different from the photo",
          "the design is a little plain", "the colour is a bit off"),
         ("it doesn't look great", "the colour is not the best", "the colour isn't what I expected",
          "the design isn't great", "not as pretty as in the photos")),
        (("it looks like the picture", "the colour is as shown", "the design is ok", "it looks ordinary",
          "the look is plain and simple"),
         ("the look is nothing special", "nothing special about the design", "neither pretty nor ugly")),
        (("it looks {h}nice", "the colour is {h}nice", "the design is {h}nice", "it looks {h}good"),
         ("it doesn't look bad at all", "the colour isn't bad", "the design is not bad at all",
          "can't complain about the looks", "not bad looking at all")),
        (("it looks {i}great", "it looks {i}gorgeous", "the colour is {i}beautiful", "it looks {i}stunning",
          "the design is {i}lovely", "it looks even better than the photos"),
         ("couldn't be happier with how it looks", "can't stop looking at it", "never owned anything so pretty",
          "no photo does it justice")),
    ),
}

PRE = ("Bought it for my sister.", "Ordered the {p} last week.", "Got the {p} as a birthday present.",
       "This was my first order from this shop.", "I've had the {p} for a month now.", "Bought this for a trip.",
       "My partner picked the {p} for me.", "Second purchase from this brand.")
POST = ("Will update after a few more weeks.", "Ordered the {p} in another colour too.", "Used it on holiday.",
        "Gave one to my mum as well.", "Bought it alongside a few other things.")
CLOSE_POS = (("Would recommend.", False), ("Would buy again.", False), ("Happy with it overall.", False),
             ("Great purchase.", False), ("Can't recommend it enough.", True), ("No regrets.", True))
CLOSE_NEG = (("Would not recommend.", True), ("Won't buy again.", True), ("Returning it.", False),
             ("Very disappointed.", False), ("Not happy overall.", True), ("Avoid.", False))
