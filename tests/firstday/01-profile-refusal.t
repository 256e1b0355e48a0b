A refused lightning_profile_start(path, rate) leaves the file at `path` as it was (issue 17,
item 1): the rate and a running profile are checked before any file is touched.

  $ echo 'my notes' > notes.txt
  $ sqlite3 :memory: ".load $LIGHTNING" "SELECT lightning_profile_start('notes.txt', 0);"
  Error: stepping, lightning_profile_start: the sampling rate must be an integer from 1 to 10000 Hz, got '0'
  [1]
  $ cat notes.txt
  my notes

A second profile while one runs is refused, and its file is not truncated either.

  $ sqlite3 :memory: <<EOF
  > .load $LIGHTNING
  > SELECT lightning_profile_start('run.folded');
  > SELECT lightning_profile_start('notes.txt');
  > SELECT lightning_profile_stop() LIKE '% samples (0 dropped) over % s at 999 Hz: run.folded (folded stacks), run.svg (flame graph)';
  > EOF
  profiling at 999 Hz into run.folded
  Runtime error near line 3: lightning_profile_start: a CPU profile is already running (lightning_profile_stop() ends it)
  1
  [1]
  $ cat notes.txt
  my notes
  $ ls
  notes.txt
  run.folded
  run.svg
