"""Model tooling: ``python -m tools.model tokens|download|export|check|evaluate|index``.

- ``tokens``: tokenise the prompts of ``core/catalogue/categories.py`` into
  ``core/catalogue/category_tokens.py`` and those of ``core/catalogue/attributes.py``
  (colours, patterns) into ``core/catalogue/attribute_tokens.py``, and the non-garment
  prompts of ``core/moderation/subjects.py`` into ``core/moderation/flag_tokens.py``.
- ``download``: fetch pre-quantised CLIP ViT-B/32 ONNX towers from the Hugging Face Hub.
- ``export``: export and quantise CLIP from a checkpoint (needs torch: ``tools/model/export.py``).
- ``check``: whether the model folder holds a complete model, every file checked against the
  manifest's sha256; else why not (nothing yet, a download that stopped halfway, a damaged
  file named).
- ``evaluate``: accuracy, macro-F1 and confusion matrix over a folder-per-class photo set.
- ``index``: embed the cover photo of every listing that has no embedding of the current
  model (after a download or a model change; the app also does it in the background).

Build-time only: the app never imports this package. torch and transformers are imported
only by the commands that need them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from core.ai.download import download
from core.ai.errors import ModelError
from core.ai.model_dir import (
    DEFAULT_FILES,
    DEFAULT_REPO_ID,
    DEFAULT_REVISION,
    DEFAULT_TOKENIZER_FILE,
    check_model,
    text_search_note,
)
from core.config import load_settings
from tools.model.evaluate import evaluate, format_evaluation, parse_folder_map
from tools.model.progress import TextBar
from tools.model.tokens import (
    ATTRIBUTE_TOKENS_PATH,
    FLAG_TOKENS_PATH,
    TOKENS_COMMAND,
    TOKENS_PATH,
    shared_tokenizer,
    write_tokens,
)


def _parser() -> argparse.ArgumentParser:
    default_dir = load_settings().model_dir
    parser = argparse.ArgumentParser(
        prog="python -m tools.model", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)

    tokens = commands.add_parser(
        "tokens",
        help="regenerate core/catalogue/category_tokens.py, core/catalogue/attribute_tokens.py "
        "and core/moderation/flag_tokens.py",
    )
    tokens.add_argument(
        "--tokenizer",
        help="folder or Hub id of CLIP's tokenizer (default: ../shared/clip-tokenizer)",
    )
    tokens.add_argument("--output", type=Path, default=TOKENS_PATH)
    tokens.add_argument("--attributes-output", type=Path, default=ATTRIBUTE_TOKENS_PATH)
    tokens.add_argument("--flags-output", type=Path, default=FLAG_TOKENS_PATH)
    tokens.add_argument("--check", action="store_true", help="fail if the module is stale")

    down = commands.add_parser("download", help="fetch quantised ONNX towers from the Hub")
    down.add_argument("--model-dir", type=Path, default=default_dir)
    down.add_argument("--repo-id", default=DEFAULT_REPO_ID)
    down.add_argument("--revision", default=DEFAULT_REVISION)
    down.add_argument("--image-file", default=DEFAULT_FILES["image"])
    down.add_argument("--text-file", default=DEFAULT_FILES["text"])
    down.add_argument(
        "--tokenizer-file",
        default=DEFAULT_TOKENIZER_FILE,
        help="CLIP's tokenizer.json in the repository, for text search",
    )
    down.add_argument("--endpoint", default=None, help="Hub address (default: huggingface.co)")

    export = commands.add_parser("export", help="export and quantise CLIP to ONNX")
    source = export.add_mutually_exclusive_group(required=True)
    source.add_argument("--checkpoint", help="Hub id or folder of a CLIP checkpoint")
    source.add_argument(
        "--untrained",
        action="store_true",
        help="ViT-B/32 architecture with random weights (benchmarks, tests)",
    )
    export.add_argument("--model-dir", type=Path, default=default_dir)
    export.add_argument("--full-graph", action="store_true", help="also the single-graph model")
    export.add_argument("--no-quantize", action="store_true", help="keep float32 weights")
    export.add_argument(
        "--weight-type",
        choices=("int8", "uint8"),
        default="int8",
        help="int8 (default: fastest on CPUs with VNNI) or uint8 (the prototype's QUInt8)",
    )
    export.add_argument("--photos", type=Path, help="folder of photos for the accuracy check")
    export.add_argument("--seed", type=int, default=0, help="seed of the untrained weights")
    export.add_argument(
        "--tokenizer",
        help="folder or Hub id of CLIP's tokenizer, written as tokenizer.json for text search "
        "(default: the checkpoint's; with --untrained ../shared/clip-tokenizer)",
    )

    check = commands.add_parser("check", help="check the model folder against its manifest")
    check.add_argument("--model-dir", type=Path, default=default_dir)

    evaluation = commands.add_parser("evaluate", help="score the model on labelled photos")
    evaluation.add_argument("photo_dir", type=Path, help="a folder with one folder per class")
    evaluation.add_argument("--model-dir", type=Path, default=default_dir)
    evaluation.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FOLDER=CODE[,CODE]",
        help="category of a folder whose name is not a code (repeatable)",
    )
    evaluation.add_argument("--backend", choices=("auto", "split", "full"), default="auto")
    evaluation.add_argument("--json", action="store_true", help="print the result as JSON")

    index = commands.add_parser("index", help="embed listings that have no embedding yet")
    index.add_argument("--model-dir", type=Path, default=default_dir)
    return parser


def index_command(model_dir: Path) -> str:
    """``python -m tools.model index``: the listings of DATABASE_URL without an embedding of
    the model in ``model_dir`` get one, with a progress bar."""
    from core.catalogue.embeddings import embedded_count, index_with_model
    from core.db import make_engine, session_scope
    from core.schema import upgrade_schema

    engine = make_engine(load_settings().database_url)
    upgrade_schema(engine)
    fingerprint, done = index_with_model(engine, model_dir, progress=TextBar("index"))
    with session_scope(engine) as session:
        embedded, total = embedded_count(session, fingerprint)
    engine.dispose()
    return (
        f"embedded {done} listings; {embedded} of {total} have an embedding of model {fingerprint}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "tokens":
            outputs = (args.output, args.attributes_output, args.flags_output)
            stale = write_tokens(args.tokenizer or shared_tokenizer(), *outputs, check=args.check)
            if args.check:
                for path in stale:
                    print(f"{path} is stale: run {TOKENS_COMMAND}")
                if not stale:
                    print("up to date")
                return 1 if stale else 0
            print("\n".join(f"wrote {path}" for path in stale) or "up to date")
        elif args.command == "download":
            manifest = download(
                args.model_dir,
                repo_id=args.repo_id,
                revision=args.revision,
                progress=TextBar("download", "MB"),
                endpoint=args.endpoint,
                files={"image": args.image_file, "text": args.text_file},
                tokenizer_file=args.tokenizer_file or None,
            )
            print(
                f"model {manifest['source']['repo_id']}@{manifest['source']['commit']} "
                f"in {args.model_dir}"
            )
            print(text_search_note(manifest))
        elif args.command == "export":
            from tools.model.export import export_command

            export_command(args)
        elif args.command == "check":
            manifest = check_model(args.model_dir)
            source = manifest["source"]
            origin = source.get("repo_id") or source.get("checkpoint") or source.get("kind")
            print(f"the model in {args.model_dir} is complete ({origin}); every file matches")
            print(text_search_note(manifest))
        elif args.command == "index":
            print(index_command(args.model_dir))
        elif args.command == "evaluate":
            result = evaluate(
                args.photo_dir,
                args.model_dir,
                parse_folder_map(args.map),
                backend=args.backend,
                progress=TextBar("evaluate"),
            )
            print(json.dumps(result.to_dict()) if args.json else format_evaluation(result))
    except ModelError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
