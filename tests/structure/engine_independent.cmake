# The engine (engine/) includes nothing from modules/: it is handed the module
# registry (engine/module/module_catalog.hpp) by app/main.cpp. Run by ctest as
# "structure: engine/ includes nothing from modules/"; fails naming each include.
# Usage: cmake -DSOURCE_DIR=<checkout> -P engine_independent.cmake
file(GLOB_RECURSE sources "${SOURCE_DIR}/engine/*.cpp" "${SOURCE_DIR}/engine/*.hpp")
set(found "")
foreach(f ${sources})
  file(STRINGS "${f}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<]modules/")
  foreach(l ${lines})
    file(RELATIVE_PATH rel "${SOURCE_DIR}" "${f}")
    string(APPEND found "  ${rel}: ${l}\n")
  endforeach()
endforeach()
list(LENGTH sources n)
if(n EQUAL 0)
  message(FATAL_ERROR "no engine sources under ${SOURCE_DIR}/engine")
endif()
if(found)
  message(FATAL_ERROR "engine/ must not include modules/ (take a ModuleCatalog instead):\n${found}")
endif()
message(STATUS "${n} engine files, none includes modules/")
