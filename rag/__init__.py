"""Beijing Opening-Up Policy Assistant.

Importing the package sets the process defaults the product relies on, before
torch or llama.cpp load: never reach a model hub, and no tokenizer threads.

OpenMP's wait policy is left at its default (a waiting thread spins briefly,
then sleeps). OMP_WAIT_POLICY=PASSIVE, set here before, put llama.cpp's second
thread to sleep after every generated token: on 2 cores generation ran at
10 tokens/s against 17 with the default, measured in the answering process.
"""

import os

for _name, _value in (("HF_HUB_OFFLINE", "1"), ("TOKENIZERS_PARALLELISM", "false")):
    os.environ.setdefault(_name, _value)
