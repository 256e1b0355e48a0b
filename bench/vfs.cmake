# The VFS benchmark (include() from bench/CMakeLists.txt, after PkgConfig::SQLITE3
# exists). vfs_bench times one mixed SQL workload on any database URI; the driver
# bench/vfs_bench.py builds the text database (bench/make_text_db.py), converts
# it with VACUUM INTO and compares the default VFS with lightning:
#
#   /usr/bin/python3 bench/vfs_bench.py --ext build/lightning.so --bench build/bench/vfs_bench
#
# Results: bench/RESULTS.md, "The lightning VFS". vfs_bench links the system libsqlite3 and gets
# the VFS by loading the extension, as applications do.
add_executable(vfs_bench ${CMAKE_CURRENT_LIST_DIR}/vfs_bench.cc)
target_link_libraries(vfs_bench PRIVATE PkgConfig::SQLITE3 CLI11::CLI11)
