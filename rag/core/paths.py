"""Where the checkout is: the default home of corpus/, .cache/, results/ and eval/."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
