# tandem_protos(TARGET DIR): a static library of the C++ generated from every
# DIR/*.proto. Generated headers are included as "<dir-relative-to-root>/x.pb.h".
function(tandem_protos target dir)
  file(GLOB protos CONFIGURE_DEPENDS "${dir}/*.proto")
  set(srcs)
  foreach(proto ${protos})
    get_filename_component(name ${proto} NAME_WE)
    file(RELATIVE_PATH rel_dir ${PROJECT_SOURCE_DIR} ${dir})
    set(out_dir ${PROJECT_BINARY_DIR}/gen/${rel_dir})
    add_custom_command(
      OUTPUT ${out_dir}/${name}.pb.cc ${out_dir}/${name}.pb.h
      COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/gen
      COMMAND protobuf::protoc --proto_path=${PROJECT_SOURCE_DIR}
              --cpp_out=${PROJECT_BINARY_DIR}/gen ${proto}
      DEPENDS ${proto} protobuf::protoc
      COMMENT "protoc ${rel_dir}/${name}.proto")
    list(APPEND srcs ${out_dir}/${name}.pb.cc)
  endforeach()
  add_library(${target} STATIC ${srcs})
  target_include_directories(${target} PUBLIC ${PROJECT_BINARY_DIR}/gen)
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf)
  # Generated code is not ours to warn about.
  target_compile_options(${target} PRIVATE -w)
endfunction()

# tandem_library(TARGET DIR DEPS...): a static library of every .cpp under DIR
# except main.cpp files, so adding a source file needs no CMake edit.
function(tandem_library target dir)
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS "${dir}/*.cpp")
  list(FILTER srcs EXCLUDE REGEX "/main\\.cpp$")
  # Fuzz targets and their support sources (cmake/TandemFuzz.cmake); matched
  # from the end, so a checkout under a folder called fuzz still builds.
  list(FILTER srcs EXCLUDE REGEX "/fuzz/([^/]*|support/[^/]*)$")
  if(NOT srcs)
    # A folder still being written: an empty interface keeps the tree building.
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${target} INTERFACE ${ARGN})
    return()
  endif()
  add_library(${target} STATIC ${srcs})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${target} PUBLIC ${ARGN})
endfunction()

# Whether FILE includes Boost.Asio or Beast, directly or through the
# project's own headers (memoized in global properties; a cycle counts as no).
function(_tandem_uses_asio file out)
  get_property(known GLOBAL PROPERTY "tandem_asio:${file}" SET)
  if(known)
    get_property(result GLOBAL PROPERTY "tandem_asio:${file}")
    set(${out} ${result} PARENT_SCOPE)
    return()
  endif()
  set_property(GLOBAL PROPERTY "tandem_asio:${file}" OFF)
  file(STRINGS ${file} includes REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
  set(result OFF)
  foreach(line IN LISTS includes)
    if(line MATCHES "<boost/(asio|beast)[/.]" AND NOT line MATCHES "<boost/asio/ip/address")
      set(result ON)
      break()
    elseif(line MATCHES "\"([^\"]+)\"")
      set(header ${PROJECT_SOURCE_DIR}/${CMAKE_MATCH_1})  # generated headers are not there
      if(EXISTS ${header})
        _tandem_uses_asio(${header} nested)
        if(nested)
          set(result ON)
          break()
        endif()
      endif()
    endif()
  endforeach()
  set_property(GLOBAL PROPERTY "tandem_asio:${file}" ${result})
  set(${out} ${result} PARENT_SCOPE)
endfunction()

# tandem_precompile_asio(TARGET): the library's I/O sources (those that reach
# Asio or Beast) share one precompiled header of Asio, Beast and spdlog.
# Parsing those headers takes about 5 s of the 15-35 s such a file costs at
# -O3, and lb/ and ha/ hold about 60 of them. Pure sources go without:
# loading the 300 MB header would cost them more than they parse. Only
# lb/ and ha/ use it: in ctl/ the header turned GCC 12's false
# -Wstringop-overflow on std::string (as in the tests at -O3) into an error.
function(tandem_precompile_asio target)
  get_target_property(srcs ${target} SOURCES)
  set(pure_srcs)
  foreach(src IN LISTS srcs)
    _tandem_uses_asio(${src} uses)
    if(NOT uses)
      list(APPEND pure_srcs ${src})
    endif()
  endforeach()
  target_precompile_headers(${target} PRIVATE
    <boost/asio.hpp> <boost/asio/experimental/awaitable_operators.hpp> <boost/beast/core.hpp>
    <boost/beast/http.hpp> <spdlog/spdlog.h>)
  if(pure_srcs)
    set_source_files_properties(${pure_srcs} TARGET_DIRECTORY ${target} PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
  endif()
endfunction()

# tandem_unit_tests(TARGET DIR DEPS...): one Boost.Test executable of every
# .cpp under DIR, registered with ctest.
function(tandem_unit_tests target dir)
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS "${dir}/*.cpp")
  add_executable(${target} ${srcs})
  target_compile_definitions(${target} PRIVATE BOOST_TEST_DYN_LINK)
  # The test command builds ~120 test files on 2 cores: Boost.Test's header
  # is parsed once per binary (a precompiled header), and test code is built
  # at -O1, which halves its compile time and needs no speed. (At -O3 with the
  # PCH, GCC 12 raised false -Wstringop-overflow/-Warray-bounds on std::string;
  # at -O1 it calls Asio's coroutine frame delete "mismatched", GCC bug 109224.)
  # main.cpp defines BOOST_TEST_MODULE before its include, so it goes without.
  target_compile_options(${target} PRIVATE -O1 -Wno-mismatched-new-delete)
  target_precompile_headers(${target} PRIVATE <boost/test/unit_test.hpp>)
  list(FILTER srcs INCLUDE REGEX "/main\\.cpp$")
  set_source_files_properties(${srcs} PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
  target_link_libraries(${target} PRIVATE Boost::unit_test_framework ${ARGN})
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR})
  add_test(NAME ${target} COMMAND ${target})
  set_tests_properties(${target} PROPERTIES WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} TIMEOUT 300)
endfunction()
