# cmake/json_keys.cmake: for the ctest drivers that read `kiloml ... --json` (cmake -P scripts).
#   kml_json_keys("${out}" key1 key2 ...)  sets J_key1, J_key2, ... in the caller to the values of
#   those keys of the JSON object; a missing key (or output that is not JSON) fails the script.
function(kml_json_keys json)
  foreach(key ${ARGN})
    string(JSON v ERROR_VARIABLE jerr GET "${json}" ${key})
    if(jerr)
      message(FATAL_ERROR "JSON output lacks '${key}': ${jerr}\n${json}")
    endif()
    set(J_${key} "${v}" PARENT_SCOPE)
  endforeach()
endfunction()
