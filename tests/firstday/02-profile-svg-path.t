lightning_profile_start('p.svg') wrote the folded stacks and the SVG to the same file (issue 17,
item 2). A path ending in .svg names the flame graph; the folded stacks go beside it in p.folded.

  $ sqlite3 :memory: <<EOF
  > .load $LIGHTNING
  > SELECT lightning_profile_start('p.svg');
  > SELECT count(*) FROM lightning_bench('fillrandom', 300000);
  > SELECT lightning_profile_stop() LIKE '% samples (% dropped) over % s at 999 Hz: p.folded (folded stacks), p.svg (flame graph)';
  > EOF
  profiling at 999 Hz into p.folded and p.svg
  1
  1
  $ ls
  p.folded
  p.svg
  $ head -c 5 p.svg
  <?xml (no-eol)
  $ grep -c -v -E '^[^ ]+( [^ ]+)* [0-9]+$' p.folded
  0
  [1]
  $ test -s p.folded && echo has stacks
  has stacks
