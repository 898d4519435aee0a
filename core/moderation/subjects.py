"""What a listing's cover should not be: the non-garment subjects the "not clothing" AI flag
compares with the garment categories (``core.moderation.flags``), each with its CLIP
zero-shot prompts. ``core/moderation/flag_tokens.py`` is generated from this file
(``python -m tools.model tokens``); a test fails when it is stale.

The subjects are what turns up in a clothing marketplace by mistake or as spam: things
people sell elsewhere (a car, a phone, furniture), a screenshot or a document, a face or a
pet, food, a landscape. Garments worn by a person are garments: the face prompt asks for a
close-up of a face, not for a person.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Subject:
    code: str
    prompts: tuple[str, ...]


NON_GARMENTS: tuple[Subject, ...] = (
    Subject("car", ("a photo of a car", "a photo of a motorbike")),
    Subject("text", ("a screenshot of text", "a photo of a document")),
    Subject("face", ("a close-up photo of a person's face", "a selfie")),
    Subject("food", ("a photo of food", "a photo of a meal")),
    Subject("furniture", ("a photo of furniture", "a photo of a sofa")),
    Subject("animal", ("a photo of an animal", "a photo of a dog or a cat")),
    Subject("landscape", ("a photo of a landscape", "a photo of a building")),
    Subject("electronics", ("a photo of a phone", "a photo of a laptop")),
)
