Rate arguments were misread: 4294968295 silently became 999 Hz and 'abc' was reported as 0
(issue 17, item 3). Anything but an integer from 1 to 10000 is refused, quoted as given.

  $ for rate in 4294968295 "'abc'" 1.5 -3; do
  >   sqlite3 :memory: ".load $LIGHTNING" "SELECT lightning_profile_start('r.folded', $rate);"
  > done
  Error: stepping, lightning_profile_start: the sampling rate must be an integer from 1 to 10000 Hz, got '4294968295'
  Error: stepping, lightning_profile_start: the sampling rate must be an integer from 1 to 10000 Hz, got 'abc'
  Error: stepping, lightning_profile_start: the sampling rate must be an integer from 1 to 10000 Hz, got '1.5'
  Error: stepping, lightning_profile_start: the sampling rate must be an integer from 1 to 10000 Hz, got '-3'
  [1]
  $ ls

A rate in range starts the profile at that rate.

  $ sqlite3 :memory: ".load $LIGHTNING" "SELECT lightning_profile_start('r.folded', 250);" "SELECT lightning_profile_stop() LIKE '% at 250 Hz: %';"
  profiling at 250 Hz into r.folded
  1
