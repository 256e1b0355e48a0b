# overhead_bench: the read path with the engine's counters, latency histograms
# and profile hooks compiled in (overhead_bench, the shipped engine) and out
# (overhead_bench_nostats: the engine's sources again with LIGHTNING_NO_STATS).
# Include after lightning_engine exists. Not part of `all` (the second engine
# build costs CI a minute): cmake --build build --target overhead_bench overhead_bench_nostats.
# Results: bench/RESULTS.md, "What the statistics cost".
get_target_property(LIGHTNING_OVERHEAD_ENGINE_SOURCES lightning_engine SOURCES)
add_library(lightning_engine_nostats STATIC EXCLUDE_FROM_ALL ${LIGHTNING_OVERHEAD_ENGINE_SOURCES})
target_compile_definitions(lightning_engine_nostats PUBLIC LIGHTNING_NO_STATS=1)
target_link_libraries(lightning_engine_nostats PUBLIC Threads::Threads
  PRIVATE PkgConfig::LZ4 PkgConfig::ZSTD PkgConfig::XXHASH PkgConfig::URING PkgConfig::HWY)
add_executable(overhead_bench EXCLUDE_FROM_ALL ${CMAKE_CURRENT_LIST_DIR}/overhead_bench.cc)
target_link_libraries(overhead_bench PRIVATE lightning_engine CLI11::CLI11)
add_executable(overhead_bench_nostats EXCLUDE_FROM_ALL ${CMAKE_CURRENT_LIST_DIR}/overhead_bench.cc)
target_link_libraries(overhead_bench_nostats PRIVATE lightning_engine_nostats CLI11::CLI11)

# group_commit_bench: durable commits from N writers, commits per WAL fsync
# (not part of `all`; see the file's header).
add_executable(group_commit_bench EXCLUDE_FROM_ALL ${CMAKE_CURRENT_LIST_DIR}/group_commit_bench.cc)
target_link_libraries(group_commit_bench PRIVATE lightning_engine Threads::Threads CLI11::CLI11)
