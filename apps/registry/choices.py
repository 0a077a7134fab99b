from django.db import models


class Runtime(models.TextChoices):
    """The model server a version runs in; presets fill in image, port and probes."""

    TRITON = "triton", "NVIDIA Triton"
    VLLM = "vllm", "vLLM"
    MLSERVER = "mlserver", "MLServer"
    TORCHSERVE = "torchserve", "TorchServe"
    CUSTOM = "custom", "Custom image"


class Framework(models.TextChoices):
    PYTORCH = "pytorch", "PyTorch"
    TENSORFLOW = "tensorflow", "TensorFlow"
    ONNX = "onnx", "ONNX"
    JAX = "jax", "JAX"
    SKLEARN = "sklearn", "scikit-learn"
    XGBOOST = "xgboost", "XGBoost"
    TRANSFORMERS = "transformers", "Hugging Face Transformers"
    OTHER = "other", "Other"


class Task(models.TextChoices):
    TEXT_GENERATION = "text-generation", "Text generation"
    EMBEDDING = "embedding", "Embedding"
    CLASSIFICATION = "classification", "Classification"
    OBJECT_DETECTION = "object-detection", "Object detection"
    SPEECH = "speech", "Speech"
    RANKING = "ranking", "Ranking"
    OTHER = "other", "Other"
