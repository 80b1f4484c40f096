"""python -m jitopt: the `jitopt` command."""

from jitopt._entry import main

main()
