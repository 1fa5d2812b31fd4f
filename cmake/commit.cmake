# commit.cmake - write OUT (sockbench_commit.h) with the source tree's
# `git describe --always --dirty`, or "unknown" outside a git checkout (a
# tarball) or without git.  Run at every build (the sb_commit target in
# CMakeLists.txt); the file is rewritten only when the text changes, so a
# build with nothing new compiles nothing.
#   cmake -DSRC=<source dir> -DOUT=<header> -P commit.cmake
set(commit unknown)
find_program(SB_GIT git)
if(SB_GIT)
  # the source tree must be the checkout's top, not a folder of some
  # other repository it was unpacked into
  execute_process(COMMAND ${SB_GIT} -C ${SRC} rev-parse --show-toplevel
                  OUTPUT_VARIABLE top RESULT_VARIABLE rc
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(rc EQUAL 0)
    get_filename_component(top "${top}" REALPATH)
    get_filename_component(src "${SRC}" REALPATH)
  endif()
  if(rc EQUAL 0 AND top STREQUAL src)
    execute_process(COMMAND ${SB_GIT} -C ${SRC} describe --always --dirty
                    OUTPUT_VARIABLE described RESULT_VARIABLE rc
                    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(rc EQUAL 0 AND described MATCHES "^[A-Za-z0-9._+-]+$")
      set(commit "${described}")
    endif()
  endif()
endif()
set(text "/* written by cmake/commit.cmake: git describe --always --dirty */\n#define SOCKBENCH_COMMIT \"${commit}\"\n")
set(old "")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
