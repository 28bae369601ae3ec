"""The README's section on normal forms and border collisions: its session is what it prints."""
import doctest
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_normal_forms_session():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Soft or hard?"):text.index("## Architecture")]
    (block,) = re.findall(r"```pycon\n(.*?)```", section, flags=re.DOTALL)
    test = doctest.DocTestParser().get_doctest(block, {}, "README", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0 and runner.tries >= 10
