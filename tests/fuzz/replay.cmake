# replay.cmake - each fuzz harness in the normal build, linked with
# replay.c instead of libFuzzer: ctest unit.fuzz.NAME replays the committed
# corpus (tests/fuzz/corpus/NAME) and every crash input kept under
# tests/fuzz/regress/NAME, so a bug the fuzzer found stays a test (also in
# the Sanitize build, label "sanitize").
include(${CMAKE_CURRENT_LIST_DIR}/harnesses.cmake)
foreach(h ${SB_FUZZ_HARNESSES})
  add_executable(replay_${h} ${CMAKE_CURRENT_LIST_DIR}/replay.c ${CMAKE_CURRENT_LIST_DIR}/fuzz_${h}.c)
  target_link_libraries(replay_${h} PRIVATE sbcore ${CMAKE_DL_LIBS} ${SB_FUZZ_LIBS_${h}})
  target_include_directories(replay_${h} PRIVATE ${SB_FUZZ_INCS_${h}})
  add_test(NAME unit.fuzz.${h}
           COMMAND replay_${h} ${CMAKE_CURRENT_LIST_DIR}/corpus/${h}
                   ${CMAKE_CURRENT_LIST_DIR}/regress/${h})
  set_tests_properties(unit.fuzz.${h} PROPERTIES LABELS "unit;sanitize" TIMEOUT 120)
endforeach()
