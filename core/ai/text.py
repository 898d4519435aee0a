"""CLIP's text side at run time: free text -> token ids -> the text tower -> a unit text
embedding, compared with the listings' image embeddings by semantic search.

Token ids come from Hugging Face ``tokenizers`` (Rust, no torch) on the model directory's
``tokenizer.json`` (``download`` fetches it from the model's repository, ``export`` writes
it); they equal ``transformers.CLIPTokenizer``'s, which tests/test_ai_text.py checks on 200
varied strings: at most 77 tokens, <|startoftext|> ... <|endoftext|>, padded with the
end-of-text id like core/category_tokens.py. The tower pools at the first end-of-text
token, so padding never changes an embedding.

One encoder is shared by every session (``st.cache_resource``): a ``tokenizers.Tokenizer``
and an ONNX Runtime session may both be called from several threads at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from core.ai.errors import ModelError, ModelMissingError
from core.ai.model_dir import model_fingerprint, read_manifest, read_model_file
from core.ai.onnx import open_session, output_name, run_text_tower, unit
from core.ai.tokenizer import load_tokenizer


class TextEncoder:
    """Free text to CLIP text embeddings. Build it with ``TextEncoder.load(model_dir)``."""

    def __init__(self, tokenizer, session, output: str, manifest: dict[str, Any]) -> None:
        self._tokenizer = tokenizer
        self._session = session
        self._output = output
        self.manifest = manifest
        self.fingerprint = model_fingerprint(manifest)

    @classmethod
    def load(cls, model_dir: Path, *, verify: bool = True) -> TextEncoder:
        """The text tower and tokenizer of ``model_dir``. ModelMissingError when there is
        no model or it has no tokenizer (text search is then off), ModelError when damaged."""
        model_dir = Path(model_dir)
        manifest = read_manifest(model_dir)
        entry = manifest.get("tokenizer")
        if entry is None:
            raise ModelMissingError(
                "The model has no tokenizer.json (it was installed before search by "
                "description existed): download or export it again to search by description."
            )
        if "text" not in manifest["files"]:
            raise ModelMissingError("The model has no text tower to search by description.")
        read_model_file(model_dir, entry, verify=verify)  # size and sha256, like the towers
        tokenizer = load_tokenizer(model_dir / entry["path"])
        text_entry = manifest["files"]["text"]
        session = open_session(read_model_file(model_dir, text_entry, verify=verify), "text")
        output = output_name(session, "text", text_entry.get("output", ""))
        encoder = cls(tokenizer, session, output, manifest)
        encoder.embed("a photo of a dress")  # the tower and the tokenizer belong together
        return encoder

    def token_ids(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(input_ids, attention_mask), int64, padded to the longest of ``texts``."""
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.asarray([e.ids for e in encodings], dtype=np.int64)
        mask = np.asarray([e.attention_mask for e in encodings], dtype=np.int64)
        return ids, mask

    def embed_many(self, texts: list[str]) -> np.ndarray:
        """Unit text embeddings (N, D), float32. ValueError for an empty text."""
        if not texts or any(not t.strip() for t in texts):
            raise ValueError("there is no text to embed")
        ids, mask = self.token_ids(texts)
        try:
            vectors = run_text_tower(self._session, ids, mask, self._output)
        except Exception as exc:  # onnxruntime's own errors
            raise ModelError("The text model fails; download or export it again.") from exc
        return unit(vectors).astype(np.float32)

    def embed(self, text: str) -> np.ndarray:
        """The unit text embedding (D,), float32, of ``text``."""
        return self.embed_many([text])[0]
