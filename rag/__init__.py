"""Beijing Opening-Up Policy Assistant.

Importing the package sets the process defaults the product relies on, before
torch or llama.cpp load: never reach a model hub, and let idle OpenMP threads
sleep instead of spinning (on 2 shared cores a spinning waiter slows llama.cpp
generation about 4x: 1.6 vs 5.4 tokens/s measured with the embedder busy).
"""

import os

for _name, _value in (("HF_HUB_OFFLINE", "1"), ("TOKENIZERS_PARALLELISM", "false"), ("OMP_WAIT_POLICY", "PASSIVE")):
    os.environ.setdefault(_name, _value)
