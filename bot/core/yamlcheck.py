"""Shared checks for hand-edited YAML data files: every error names the file and the field."""
from __future__ import annotations

from pathlib import Path


class YamlChecker:
    LABEL = "invalid data file"  # subclasses say what the file is, in Chinese and English

    def __init__(self, path: Path):
        self.path = path

    def error(self, where: str, problem: str) -> ValueError:
        return ValueError(f"{self.LABEL} {self.path}: {where}: {problem}")

    def mapping(self, value, where: str, allowed: tuple, required: tuple = ()) -> dict:
        if not isinstance(value, dict):
            raise self.error(where, f"expected a mapping, got {type(value).__name__}")
        unknown = [str(k) for k in value if k not in allowed]
        if unknown:
            raise self.error(f"{where}.{unknown[0]}", f"unknown field; allowed: {', '.join(allowed)}")
        for key in required:
            if key not in value:
                raise self.error(f"{where}.{key}", "missing")
        return value
