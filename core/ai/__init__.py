"""The AI the app runs in process: CLIP over ONNX Runtime (no torch, no transformers)."""
