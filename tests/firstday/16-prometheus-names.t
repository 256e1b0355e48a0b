Prometheus names follow the conventions (issue 17, item 16): base units as suffixes (_bytes,
_seconds), counters typed counter and ending in _total (readahead_pages was typed gauge).

  $ sqlite3 app.db <<EOF
  > .load $LIGHTNING
  > CREATE VIRTUAL TABLE t USING lightning(k INTEGER PRIMARY KEY, v);
  > INSERT INTO t VALUES (1, 'x');
  > SELECT lightning_checkpoint('t') LIKE 'ok: %';
  > .output metrics.prom
  > SELECT lightning_metrics();
  > EOF
  1
  $ grep -E '^# TYPE lightning_(readahead_pages|read_bytes|cache_size|file_size|oldest_snapshot_age|checkpoint_seconds)(_[a-z]+)? ' metrics.prom
  # TYPE lightning_cache_size_bytes gauge
  # TYPE lightning_readahead_pages_total counter
  # TYPE lightning_read_bytes_total counter
  # TYPE lightning_checkpoint_seconds_total counter
  # TYPE lightning_file_size_bytes gauge
  # TYPE lightning_oldest_snapshot_age_seconds gauge

Every counter ends in _total and nothing else does; Debian's prometheus_client parses it all.

  $ awk '$1 == "#" && $2 == "TYPE" && (($4 == "counter") != ($3 ~ /_total$/)) { print "bad:", $3, $4 }' metrics.prom
  $ /usr/bin/python3 -c '
  > import sys
  > from prometheus_client.parser import text_string_to_metric_families
  > families = list(text_string_to_metric_families(open("metrics.prom").read()))
  > print(len(families) > 50, all(s.name.startswith("lightning_") for f in families for s in f.samples))
  > '
  True True
