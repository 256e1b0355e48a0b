# cmake -P check_sealed.cmake: compiles one probe per header with the include
# path INCLUDES (api_test's, as the build has it) and nothing else.
#   - every header of PUBLIC_DIR, included as "lightning/<name>" on its own,
#     compiles (the public headers need nothing internal);
#   - every header of INTERNAL_DIR, included as "<name>" and "engine/<name>",
#     does not (nothing internal is reachable from the public include path).
# Fails naming each probe that went the wrong way.
foreach(var CXX INCLUDES PUBLIC_DIR INTERNAL_DIR WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_sealed.cmake: -D${var}=... is required")
  endif()
endforeach()
file(MAKE_DIRECTORY ${WORK_DIR})
set(flags -std=c++20 -fsyntax-only)
set(shown "")
foreach(dir ${INCLUDES})
  list(APPEND flags -I${dir})
  string(APPEND shown " -I${dir}")
endforeach()
message(STATUS "include path:${shown}")

set(failures "")
function(probe name text expect_ok)
  set(src ${WORK_DIR}/${name}.cc)
  file(WRITE ${src} "${text}\nint main() { return 0; }\n")
  execute_process(COMMAND ${CXX} ${flags} ${src}
                  WORKING_DIRECTORY ${WORK_DIR}
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
  if(expect_ok AND NOT rc EQUAL 0)
    set(failures "${failures}\n  public header does not compile alone: ${text}" PARENT_SCOPE)
  elseif(NOT expect_ok AND rc EQUAL 0)
    set(failures "${failures}\n  internal header reachable: ${text}" PARENT_SCOPE)
  endif()
endfunction()

file(GLOB public_headers RELATIVE ${PUBLIC_DIR} ${PUBLIC_DIR}/*.h)
file(GLOB internal_headers RELATIVE ${INTERNAL_DIR} ${INTERNAL_DIR}/*.h)
if(NOT public_headers OR NOT internal_headers)
  message(FATAL_ERROR "no headers found in ${PUBLIC_DIR} or ${INTERNAL_DIR}")
endif()
set(count 0)
foreach(h ${public_headers})
  string(MAKE_C_IDENTIFIER "public_${h}" name)
  probe(${name} "#include \"lightning/${h}\"" TRUE)
  math(EXPR count "${count} + 1")
endforeach()
foreach(h ${internal_headers})
  string(MAKE_C_IDENTIFIER "internal_${h}" name)
  probe(${name} "#include \"${h}\"" FALSE)
  probe(${name}_engine "#include \"engine/${h}\"" FALSE)
  math(EXPR count "${count} + 2")
endforeach()
if(failures)
  message(FATAL_ERROR "the public API is not sealed:${failures}")
endif()
message(STATUS "${count} probes: every public header compiles alone, no internal header is reachable")
