"""200 deterministic search queries for the text-encoder tests: hand-written tricky ones,
then seeded random mixes of words, accents, emoji, digits and punctuation, some of them
longer than CLIP's 77 tokens."""

from __future__ import annotations

import random

TRICKY = [
    "red summer dress for a wedding",
    "Robe d'été ROUGE pour un mariage",
    "veste en jean délavée, taille M",
    "Sézane blouse à fleurs",
    "crème brûlée coloured jumper",
    "naïve café façade",
    "Pullover für den Winter, Größe 38",
    "zapatos de tacón, número 39",
    "Levi's 501 W32 L34",
    "t-shirt",
    "T-SHIRT",
    "tshirt",
    "t shirt",
    "don't, won't, it's, you're, we've, I'm, they'll, he'd",
    "DON'T IT'S",
    "it’s a “vintage” coat",  # curly quotes
    "100% cotton",
    "size 42-44 (EU)",
    "2 pairs for 15.50 EUR!!!",
    "3.14159 26535",
    "a 1990s bomber jacket",
    "👗 dress",
    "👟👟 sneakers",
    "🧥🔥",
    "👨‍👩‍👧 family pyjamas",  # zero-width joiners inside the emoji
    "🇫🇷 french flag scarf",
    "❤️ love this",
    "jacket...",
    "jacket!!!???",
    "<b>bold</b> &amp; bright",
    "email@example.com www.example.com/item?id=3",
    "#vintage #retro @seller",
    "   leading and trailing spaces   ",
    "tabs\tand\nnew\nlines",
    "many     inner      spaces",
    "UPPER lower MiXeD CaSe",
    "ÉLÉGANT MANTEAU NOIR",
    "İstanbul ışık",
    "straße STRASSE",
    "ﬁne ligature",  # the fi ligature
    "ｆｕｌｌｗｉｄｔｈ ｊａｃｋｅｔ",
    "e\u0301te\u0301 (decomposed accents)",
    "日本のドレス",
    "中文 连衣裙",
    "한국어 원피스",
    "платье красное",
    "φόρεμα",
    "فستان أحمر",
    "שמלה",
    "ชุดเดรส",
    "a",
    "x",
    "!",
    "0",
    "<|startoftext|>",
    "<|endoftext|> dress",
    "dress <|endoftext|> coat",
    "soft\u00adhyphen",
    "bell\x07 dress",  # control characters: ftfy (CLIP's training tokenizer) drops them
    "bom\ufeffdress",
    "ideographic\u3000space",
    "non\u00a0breaking\u00a0space",
    "em—dash – en-dash",
    "£20 €30 $40 ¥50",
    "½ price ¾ length",
    "x² m³",
    "① ② ③",
    "the quick brown fox jumps over the lazy dog " * 4,
    "word " * 100,
    "verylongwordwithoutanyspacesthatkeepsgoingandgoingandgoingforeverandeverandeveragain",
    ", ".join(["dress", "skirt", "coat", "jacket", "shirt"] * 20),
    "🙂" * 90,
    "é" * 120,
    "1234567890" * 12,
]

WORDS = (  # noqa: SIM905 (a list literal of 90 words reads worse)
    "dress skirt coat jacket shirt blouse jumper sweater cardigan trousers jeans shorts "
    "sneakers boots sandals hat cap scarf gloves bag handbag backpack belt socks pyjamas "
    "red blue green black white grey navy beige pink yellow purple orange brown "
    "vintage retro oversized slim fitted loose cropped long short warm light summer winter "
    "wool cotton linen silk leather denim velvet cashmere polyester "
    "for with and the a of in on size small medium large "
    "robe jupe manteau veste chemise pull pantalon chaussures sac écharpe "
    "été hiver élégant légère noire doré Größe schön mañana niño"
).split()
ACCENTED = "é è ê ë à â ä ç î ï ô ö ù û ü ÿ ñ ß œ æ å ø É À Ç Ñ Ö".split()  # noqa: SIM905
EMOJI = "👗 👕 👖 🧥 👟 👠 👜 🎒 🧣 🧤 🧢 ❤️ ✨ 🔥 😍 👍 🌸 ☀️".split()  # noqa: SIM905
PUNCTUATION = [*".,;:!?'\"()[]{}-_/&%#@*+=~", "...", "--", "!!", "?!"]


def _random_query(rng: random.Random) -> str:
    length = rng.choice([1, 2, 3, 4, 5, 6, 8, 10, 15, 40, 70, 110])
    parts = []
    for _ in range(length):
        kind = rng.random()
        if kind < 0.6:
            word = rng.choice(WORDS)
            parts.append(word.upper() if rng.random() < 0.1 else word.capitalize() if
                         rng.random() < 0.15 else word)  # fmt: skip
        elif kind < 0.7:
            parts.append(rng.choice(WORDS) + rng.choice(ACCENTED))
        elif kind < 0.8:
            parts.append(str(rng.randint(0, 10 ** rng.randint(1, 6))))
        elif kind < 0.9:
            parts.append(rng.choice(EMOJI))
        else:
            parts.append(rng.choice(PUNCTUATION))
    separators = [" ", " ", " ", "", ", ", "  "]
    text = parts[0]
    for part in parts[1:]:
        text += rng.choice(separators) + part
    return text


def sample_queries(count: int = 200, seed: int = 7) -> list[str]:
    """``count`` queries: the hand-written ones, then seeded random ones."""
    rng = random.Random(seed)
    queries = list(TRICKY[:count])
    while len(queries) < count:
        queries.append(_random_query(rng))
    return queries
