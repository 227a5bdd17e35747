# The two commands of this project (see README.md).
.PHONY: run test setup

setup:
	bash scripts/setup.sh

run: setup
	HF_HUB_OFFLINE=1 .venv/bin/streamlit run app.py --server.headless true --browser.gatherUsageStats false

test:
	bash scripts/setup.sh --with-browser
	bash scripts/test.sh
