"""The run-time text encoder: token ids equal CLIPTokenizer's, embeddings equal
CLIPModel.get_text_features, and the model directory carries the tokenizer (export,
download from a local Hub, older directories without one)."""

from __future__ import annotations

import json
import random
import shutil
import threading
from http.server import ThreadingHTTPServer

import numpy as np
import pytest

from core.ai.errors import ModelError, ModelMissingError
from core.ai.model_dir import MANIFEST_NAME, download, model_fingerprint, model_present
from core.ai.text import TextEncoder
from core.ai.tokenizer import MAX_TOKENS
from tests.test_model_tools import COMMIT, REPO, HubHandler
from tests.tiny_clip import SHARED_TOKENIZER

pytestmark = pytest.mark.skipif(
    not SHARED_TOKENIZER.is_dir(), reason="the CLIP tokenizer (../shared/clip-tokenizer) is absent"
)

TRICKY = [
    "Robe rouge", "a RED summer dress for a wedding!", "Levi's 501 jeans", "T-shirt ♥ coton",
    "Sézane blouse à fleurs", "été 2024 — très bon état", "👗👠 party", "  spaces\tand\nlines  ",
    "price: 12,50€ (négociable)", "Ça va? Oui.", "naïve café crème brûlée", "ÉCOLE",
    "ﬁne ligature", "日本語のドレス", "emoji 🧥🧣🧤 and 😀", "x" * 300, "under_score and-dash",
    "don't won't it's we're I'll", "100% cotton, 38/40", "A\u200bB zero width", "Ω≈ç√",
    "ß straße", "İstanbul", "ǅ digraph", "\u00a0nbsp", "soft\u00adhyphen", "mixed ÀÉÎÕÜ",
    "x\x07bell", "<|endoftext|> inside", "<|startoftext|>", "a", "1234567890", "!!!???...",
    "Carhartt-WIP", "Marc O'Polo", "tee-shirt / t shirt / tshirt", "H&M", "A.P.C.",
]  # fmt: skip
WORDS = """
red blue dress jeans coat vintage été bottes 38 42 100% ! ? , . - ' 👗 🧥 é à ç wool
laine T-shirt levi's ☃ 12,50€ CAPS Mixed Ünïcödé summer wedding ﬀ 🤷🏽‍♀️
""".split()  # noqa: SIM905


def strings() -> list[str]:
    """200 varied strings, the same every run: the tricky ones, then seeded mixes, some of
    them far over 77 tokens."""
    rng = random.Random(0)
    found = list(TRICKY)
    while len(found) < 200:
        length = rng.choice([1, 2, 3, 5, 8, 20, 60, 120])
        found.append(" ".join(rng.choice(WORDS) for _ in range(length)))
    return found


@pytest.fixture(scope="module")
def reference():
    from transformers import CLIPTokenizer

    return CLIPTokenizer.from_pretrained(str(SHARED_TOKENIZER))


@pytest.fixture(scope="module")
def fp32(tiny):
    return TextEncoder.load(tiny.fp32_dir)


def test_token_ids_equal_clip_tokenizers_for_200_strings(reference, fp32):
    texts = strings()
    long = 0
    for text in texts:
        want = reference(text, truncation=True, max_length=MAX_TOKENS)["input_ids"]
        ids, mask = fp32.token_ids([text])
        assert ids[0].tolist() == want, text
        assert mask[0].tolist() == [1] * len(want)
        long += len(reference(text)["input_ids"]) > MAX_TOKENS
    assert long >= 10  # truncation was tried, ending with <|endoftext|> as CLIPTokenizer's
    # a batch pads with <|endoftext|> (as the generated prompt ids), masked out
    ids, mask = fp32.token_ids(["a dress", "a long red summer dress"])
    assert ids.shape == mask.shape and ids[0, -1] == 49407 and mask[0].sum() < mask[1].sum()


def test_text_embeddings_equal_get_text_features(tiny, fp32):
    import torch

    texts = strings()
    with torch.no_grad():
        for start in range(0, len(texts), 50):
            batch = texts[start : start + 50]
            ids, mask = fp32.token_ids(batch)
            want = tiny.model.get_text_features(
                input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)
            )
            want = getattr(want, "pooler_output", want).numpy()  # transformers 5 wraps it
            want = want / np.linalg.norm(want, axis=1, keepdims=True)
            got = fp32.embed_many(batch)
            assert np.abs(got - want).max() < 1e-4
            # alone or in a batch (padded): the same embedding
            assert np.abs(fp32.embed(batch[0]) - got[0]).max() < 1e-5
    assert got.dtype == np.float32 and np.allclose(np.linalg.norm(got, axis=1), 1, atol=1e-5)


def test_the_int8_tower_stays_close(tiny, fp32):
    int8 = TextEncoder.load(tiny.quantized_dir)
    texts = strings()[:60]
    cosines = np.sum(int8.embed_many(texts) * fp32.embed_many(texts), axis=1)
    assert cosines.min() > 0.95, cosines.min()
    assert int8.fingerprint == model_fingerprint(int8.manifest) != fp32.fingerprint


def test_an_empty_text_is_not_embedded(fp32):
    for empty in ("", "   ", "\n\t"):
        with pytest.raises(ValueError):
            fp32.embed(empty)


def test_a_model_without_a_tokenizer_still_classifies_but_has_no_text_search(tiny, tmp_path):
    from core.ai.classifier import Classifier

    model_dir = shutil.copytree(tiny.quantized_dir, tmp_path / "old")
    manifest = json.loads((model_dir / MANIFEST_NAME).read_text())
    manifest.pop("tokenizer")
    (model_dir / MANIFEST_NAME).write_text(json.dumps(manifest))
    (model_dir / "tokenizer.json").unlink()
    assert model_present(model_dir)
    assert Classifier.load(model_dir).classify(tiny.photos[0])
    with pytest.raises(ModelMissingError, match="download or export it again"):
        TextEncoder.load(model_dir)


def test_a_damaged_or_missing_tokenizer_says_so(tiny, tmp_path):
    model_dir = shutil.copytree(tiny.quantized_dir, tmp_path / "damaged")
    (model_dir / "tokenizer.json").write_bytes(b"{not json")
    assert not model_present(model_dir)  # not its size any more
    with pytest.raises(ModelError, match=r"tokenizer\.json"):
        TextEncoder.load(model_dir)
    (model_dir / "tokenizer.json").unlink()
    with pytest.raises(ModelError, match=r"tokenizer\.json is missing"):
        TextEncoder.load(model_dir)


@pytest.fixture
def hub_with_tokenizer(tiny):
    """The tiny towers and the tokenizer published as acme/tiny-clip, as the Hub would."""
    manifest = json.loads((tiny.quantized_dir / MANIFEST_NAME).read_text())
    files = {
        "onnx/vision_model_quantized.onnx": manifest["files"]["image"]["path"],
        "onnx/text_model_quantized.onnx": manifest["files"]["text"]["path"],
        "tokenizer.json": "tokenizer.json",
    }
    handler = type(
        "Handler",
        (HubHandler,),
        {
            "files": {k: (tiny.quantized_dir / v).read_bytes() for k, v in files.items()},
            "corrupt": set(),
            "requests": [],
        },
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def test_download_fetches_the_tokenizer_in_the_same_progress(hub_with_tokenizer, tiny, tmp_path):
    endpoint, handler = hub_with_tokenizer
    calls = []
    manifest = download(
        tmp_path / "model", repo_id=REPO, endpoint=endpoint, progress=lambda d, t: calls.append(t)
    )
    assert manifest["source"]["commit"] == COMMIT
    assert manifest["tokenizer"]["path"] == "tokenizer.json"
    assert set(calls) == {sum(len(b) for b in handler.files.values())}  # one bar for all
    encoder = TextEncoder.load(tmp_path / "model")
    reference = TextEncoder.load(tiny.quantized_dir)
    assert np.allclose(encoder.embed("red dress"), reference.embed("red dress"), atol=1e-6)


def test_a_repository_without_a_tokenizer_still_gives_the_suggestion(hub_with_tokenizer, tmp_path):
    endpoint, handler = hub_with_tokenizer
    del handler.files["tokenizer.json"]
    manifest = download(tmp_path / "model", repo_id=REPO, endpoint=endpoint)
    assert "tokenizer" not in manifest and model_present(tmp_path / "model")
    with pytest.raises(ModelMissingError):
        TextEncoder.load(tmp_path / "model")


def test_a_downloaded_tokenizer_that_is_not_one_is_refused(hub_with_tokenizer, tmp_path):
    from core.ai.errors import ModelDownloadError

    endpoint, handler = hub_with_tokenizer
    handler.files["tokenizer.json"] = b"<html>not a tokenizer</html>"
    with pytest.raises(ModelDownloadError, match="not a usable tokenizer"):
        download(tmp_path / "model", repo_id=REPO, endpoint=endpoint)
    assert not model_present(tmp_path / "model")
