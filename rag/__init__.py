"""Beijing Opening-Up Policy Assistant.

Importing the package sets the process defaults the product relies on, before
torch or llama.cpp load: never reach a model hub, and no tokenizer threads.

OpenMP's wait policy is left at its default (a waiting thread spins briefly,
then sleeps). OMP_WAIT_POLICY=PASSIVE, set here before, put llama.cpp's second
thread to sleep after every generated token: on 2 cores generation ran at
10 tokens/s against 17 with the default, measured in the answering process.

How long it spins is set short (GOMP_SPINCOUNT=300, about 0.3 ms, unless the
environment sets it): beside one busy process a thread spinning for its
sleeping partner burns the core that partner needs. Measured with llama.cpp's
two threads, tokens/s generated (prompt read), idle and beside a `while True:
pass` process: default 19.8 (47) idle, 5.6 (25) loaded; 1000 17.3 (43) and
8.2 (31); 300 15.6 (43) and 9.8 (28).
"""

import os

for _name, _value in (("HF_HUB_OFFLINE", "1"), ("TOKENIZERS_PARALLELISM", "false"), ("GOMP_SPINCOUNT", "300")):
    os.environ.setdefault(_name, _value)
