"""Packaging hook (the metadata is in pyproject.toml): the wheel carries the recipe library.

`recipes/` and each recipe's Gherkin spec (`features/<recipe>.feature`) are copied into the wheel as
`emulator/recipe_library/`, laid out as the recipe repository is (`recipes/<name>/template.yml`), so
`mlops recipes path` can give any project a folder for `--repo recipes=…`. An editable install uses this
checkout's own folders instead (emulator.recipes.library_root).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
LIBRARY = Path("emulator") / "recipe_library"


class BuildWithRecipes(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / LIBRARY
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(HERE / "recipes", target / "recipes", ignore=shutil.ignore_patterns("__pycache__"))
        (target / "features").mkdir()
        for recipe in sorted((HERE / "recipes").iterdir()):
            feature = HERE / "features" / f"{recipe.name.replace('-', '_')}.feature"
            if recipe.is_dir() and feature.is_file():
                shutil.copy2(feature, target / "features" / feature.name)


setup(cmdclass={"build_py": BuildWithRecipes})
