# The libFuzzer build (TANDEM_FUZZ=ON, clang only): every <area>/fuzz/*.cpp
# becomes one executable, and their seed corpora live in
# <area>/fuzz/corpus/<target>/. scripts/fuzz.sh configures, builds and runs
# them; by hand:
#   cmake -S . -B build-fuzz -G Ninja -DTANDEM_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++
#   cmake --build build-fuzz --target fuzzers
#   build-fuzz/config_fuzz -max_len=8192 config/fuzz/corpus/config_fuzz
#
# Included before the libraries so that everything the fuzzers link is
# instrumented: coverage feedback (-fsanitize=fuzzer-no-link) reaches into
# the libraries, not only the fuzz source, and ASan and UBSan check them.
# Only what the fuzzers need is compiled (the tandem_fuzz_* libraries below),
# not the proxy's and agent's I/O runtime.
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "TANDEM_FUZZ needs clang: configure with -DCMAKE_CXX_COMPILER=clang++")
endif()

set(TANDEM_SANITIZERS address,undefined)
# -O1: sanitized code compiles several times faster than at -O3 and runs
# nearly as fast under the fuzzer.
set(CMAKE_CXX_FLAGS_RELEASE "-O1")
add_compile_options(-fsanitize=fuzzer-no-link,${TANDEM_SANITIZERS} -fno-sanitize-recover=all
                    -fno-omit-frame-pointer -g -Wno-unknown-warning-option)
# Keep assert() and BOOST_ASSERT on whatever the build type, and check
# libstdc++'s preconditions (an empty optional dereferenced, an index out of
# range): a broken invariant is a finding.
add_compile_options(-UNDEBUG -D_GLIBCXX_ASSERTIONS)
add_link_options(-fsanitize=${TANDEM_SANITIZERS})

# tandem_fuzz_library(TARGET DIRS... LIBS ...): a static library of every .cpp
# in DIRS (relative to the source root; a .cpp path is taken as is).
function(tandem_fuzz_library target)
  cmake_parse_arguments(arg "" "" "DIRS;LIBS" ${ARGN})
  set(srcs)
  foreach(d ${arg_DIRS})
    if(d MATCHES "\\.cpp$")
      list(APPEND srcs ${PROJECT_SOURCE_DIR}/${d})
    else()
      file(GLOB found CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/${d}/*.cpp")
      list(APPEND srcs ${found})
    endif()
  endforeach()
  add_library(${target} STATIC ${srcs})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${target} PUBLIC ${arg_LIBS})
endfunction()

# Called after the libraries exist: the fuzzers and an aggregate target.
function(tandem_fuzz_targets)
  # The pure parts the fuzzers drive: no sockets, no workers. Coroutine
  # sources stay out (clang 14 cannot build them with these sanitizers:
  # "Cannot represent a difference across sections"), which is also what
  # keeps this build small.
  tandem_fuzz_library(tandem_fuzz_common
    DIRS common common/stick common/control/auth.cpp common/control/admin_auth.cpp common/control/cluster_view.cpp
         common/control/proxy_status.cpp
    LIBS tandem_common_proto spdlog::spdlog OpenSSL::Crypto Threads::Threads Boost::headers Boost::json)
  tandem_fuzz_library(tandem_fuzz_config DIRS config config/server_set LIBS tandem_config_proto tandem_fuzz_common)
  tandem_fuzz_library(tandem_fuzz_lb
    DIRS lb/http lb/h2 lb/health lb/stick lb/balance lb/route lb/admin lb/observe lb/proxy_protocol lb/discovery
         lb/tls/server_names.cpp lb/tls/tls_policy.cpp
         lb/runtime/generation.cpp lb/runtime/pool_runtime.cpp
    LIBS tandem_fuzz_config tandem_fuzz_common Boost::json PkgConfig::NGHTTP2)
  # route_admin_request shares its file with the admin server's coroutines:
  # that file is built plain (no sanitizers, no coverage), the rest of the
  # admin target's path is instrumented.
  set_source_files_properties(${PROJECT_SOURCE_DIR}/lb/admin/admin_server.cpp TARGET_DIRECTORY tandem_fuzz_lb
                              PROPERTIES COMPILE_OPTIONS "-fno-sanitize=all")
  tandem_fuzz_library(tandem_fuzz_ha
    DIRS ha/advert/advert_codec.cpp ha/advert/peer_sequence_file.cpp ha/advert/sequence_source.cpp
         ha/failover ha/agent/settings.cpp
         ha/sync/frame_cipher.cpp ha/sync/peer_state.cpp ha/sync/stick_store.cpp ha/sync/sync_auth.cpp
         ha/sync/sync_eligibility.cpp ha/announce/bird_reply.cpp ha/announce/announce_decision.cpp
    LIBS tandem_fuzz_config tandem_fuzz_common)

  # lb/runtime/exact_allocator.h (through http_relay.h) calls sized operator
  # delete, on by default in GCC and not in clang 14.
  set_source_files_properties(${PROJECT_SOURCE_DIR}/lb/fuzz/http_response_fuzz.cpp
                              PROPERTIES COMPILE_OPTIONS -fsized-deallocation)
  add_custom_target(fuzzers)
  foreach(area common config lb ha)
    file(GLOB fuzzers CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/${area}/fuzz/*.cpp")
    foreach(src ${fuzzers})
      get_filename_component(name ${src} NAME_WE)
      add_executable(${name} ${src} ${PROJECT_SOURCE_DIR}/common/fuzz/support/boost_assert_handler.cpp)
      target_link_libraries(${name} PRIVATE tandem_fuzz_lb tandem_fuzz_ha tandem_fuzz_config tandem_fuzz_common)
      # Boost's asserts land in boost_assert_handler.cpp (one known Beast
      # false positive is let through there).
      target_compile_definitions(${name} PRIVATE BOOST_ENABLE_ASSERT_HANDLER)
      target_link_options(${name} PRIVATE -fsanitize=fuzzer)
      add_dependencies(fuzzers ${name})
    endforeach()
  endforeach()
endfunction()
