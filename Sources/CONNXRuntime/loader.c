// The dlopen loader for ONNX Runtime: finds OrtGetApiBase, asks for the API
// table and copies the slots Ledge calls into a struct of typed pointers.
#include "CONNXRuntime.h"

#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/// ONNX Runtime's PyPI builds (1.29 on) carry 1DS telemetry on Linux: on
/// CreateEnv they write a device id and an event database under
/// ~/.cache/Microsoft/DeveloperTools/.onnxruntime and, while a server runs,
/// look up mobile.events.data.microsoft.com to upload it. An edge server should
/// not phone home nor wear out an SD card by default, so Ledge sets the
/// runtime's own opt-out, ORT_DISABLE_TELEMETRY=1, unless the variable is
/// already set (ORT_DISABLE_TELEMETRY=0 lets it through); the runtime reads it
/// when it initializes. The `ledge` executable calls this first thing in main,
/// while it has one thread (setenv is not safe against a concurrent getenv),
/// and after reading its arguments: a C constructor did it before, and in the
/// static release build that ran before the Swift runtime found argv, which it
/// looks for next to the environment block that setenv had just moved.
/// ledge_ort_load calls it too, for other programs using this module; there it
/// changes nothing once the variable is set.
void ledge_ort_default_telemetry_off(void) {
    setenv("ORT_DISABLE_TELEMETRY", "1", 0);
}

/// OrtApiBase as the library returns it: two function pointers.
typedef struct ledge_ort_api_base {
    const void *(*get_api)(uint32_t version);
    const char *(*get_version_string)(void);
} ledge_ort_api_base;

typedef const ledge_ort_api_base *(*ledge_ort_get_api_base_fn)(void);

/// 0-based slot numbers in the OrtApi table (it only grows at its end).
enum {
    LEDGE_SLOT_GET_ERROR_CODE = 1,
    LEDGE_SLOT_GET_ERROR_MESSAGE = 2,
    LEDGE_SLOT_CREATE_ENV = 3,
    LEDGE_SLOT_CREATE_SESSION_FROM_ARRAY = 8,
    LEDGE_SLOT_RUN = 9,
    LEDGE_SLOT_CREATE_SESSION_OPTIONS = 10,
    LEDGE_SLOT_SET_OPTIMIZED_MODEL_FILE_PATH = 11,
    LEDGE_SLOT_SET_SESSION_EXECUTION_MODE = 13,
    LEDGE_SLOT_DISABLE_MEM_PATTERN = 17,
    LEDGE_SLOT_DISABLE_CPU_MEM_ARENA = 19,
    LEDGE_SLOT_SET_GRAPH_OPTIMIZATION_LEVEL = 23,
    LEDGE_SLOT_SET_INTRA_OP_THREADS = 24,
    LEDGE_SLOT_SET_INTER_OP_THREADS = 25,
    LEDGE_SLOT_SESSION_GET_INPUT_COUNT = 30,
    LEDGE_SLOT_SESSION_GET_OUTPUT_COUNT = 31,
    LEDGE_SLOT_SESSION_GET_INPUT_TYPE_INFO = 33,
    LEDGE_SLOT_SESSION_GET_OUTPUT_TYPE_INFO = 34,
    LEDGE_SLOT_SESSION_GET_INPUT_NAME = 36,
    LEDGE_SLOT_SESSION_GET_OUTPUT_NAME = 37,
    LEDGE_SLOT_CREATE_RUN_OPTIONS = 39,
    LEDGE_SLOT_RUN_OPTIONS_SET_TERMINATE = 46,
    LEDGE_SLOT_CREATE_TENSOR_WITH_DATA = 49,
    LEDGE_SLOT_IS_TENSOR = 50,
    LEDGE_SLOT_GET_TENSOR_MUTABLE_DATA = 51,
    LEDGE_SLOT_CAST_TYPE_INFO_TO_TENSOR_INFO = 55,
    LEDGE_SLOT_GET_ONNX_TYPE_FROM_TYPE_INFO = 56,
    LEDGE_SLOT_GET_TENSOR_ELEMENT_TYPE = 60,
    LEDGE_SLOT_GET_DIMENSIONS_COUNT = 61,
    LEDGE_SLOT_GET_DIMENSIONS = 62,
    LEDGE_SLOT_GET_TENSOR_TYPE_AND_SHAPE = 65,
    LEDGE_SLOT_CREATE_CPU_MEMORY_INFO = 69,
    LEDGE_SLOT_ALLOCATOR_FREE = 76,
    LEDGE_SLOT_GET_ALLOCATOR_WITH_DEFAULT_OPTIONS = 78,
    LEDGE_SLOT_RELEASE_ENV = 92,
    LEDGE_SLOT_RELEASE_STATUS = 93,
    LEDGE_SLOT_RELEASE_MEMORY_INFO = 94,
    LEDGE_SLOT_RELEASE_SESSION = 95,
    LEDGE_SLOT_RELEASE_VALUE = 96,
    LEDGE_SLOT_RELEASE_RUN_OPTIONS = 97,
    LEDGE_SLOT_RELEASE_TYPE_INFO = 98,
    LEDGE_SLOT_RELEASE_TENSOR_INFO = 99,
    LEDGE_SLOT_RELEASE_SESSION_OPTIONS = 100,
    LEDGE_SLOT_SESSION_GET_MODEL_METADATA = 111,
    LEDGE_SLOT_METADATA_GET_PRODUCER_NAME = 112,
    LEDGE_SLOT_METADATA_GET_GRAPH_NAME = 113,
    LEDGE_SLOT_METADATA_GET_DOMAIN = 114,
    LEDGE_SLOT_METADATA_GET_DESCRIPTION = 115,
    LEDGE_SLOT_METADATA_LOOKUP_CUSTOM = 116,
    LEDGE_SLOT_METADATA_GET_VERSION = 117,
    LEDGE_SLOT_RELEASE_MODEL_METADATA = 118,
    LEDGE_SLOT_METADATA_GET_CUSTOM_KEYS = 123,
    LEDGE_SLOT_GET_AVAILABLE_PROVIDERS = 125,
    LEDGE_SLOT_RELEASE_AVAILABLE_PROVIDERS = 126,
    LEDGE_SLOT_ADD_SESSION_CONFIG_ENTRY = 130,
    LEDGE_SLOT_CREATE_AND_REGISTER_ALLOCATOR = 144,
    LEDGE_SLOT_ADD_INITIALIZER = 150,
    LEDGE_SLOT_CREATE_PREPACKED_WEIGHTS_CONTAINER = 166,
    LEDGE_SLOT_RELEASE_PREPACKED_WEIGHTS_CONTAINER = 167,
    LEDGE_SLOT_CREATE_SESSION_FROM_ARRAY_WITH_PREPACKED_WEIGHTS_CONTAINER = 169,
    LEDGE_SLOT_APPEND_PROVIDER_CUDA_V2 = 204,
    LEDGE_SLOT_CREATE_CUDA_OPTIONS = 205,
    LEDGE_SLOT_RELEASE_CUDA_OPTIONS = 208,
    LEDGE_SLOT_APPEND_PROVIDER = 216,
    LEDGE_SLOT_GET_BUILD_INFO_STRING = 254,
};

static void ledge_ort_fill(const void *const *table, ledge_ort_api *api, uint32_t version) {
#define LEDGE_SLOT(field, slot, type) api->field = (type)table[slot]
    LEDGE_SLOT(get_error_code, LEDGE_SLOT_GET_ERROR_CODE, ledge_ort_get_error_code_fn);
    LEDGE_SLOT(get_error_message, LEDGE_SLOT_GET_ERROR_MESSAGE, ledge_ort_get_error_message_fn);
    LEDGE_SLOT(create_env, LEDGE_SLOT_CREATE_ENV, ledge_ort_create_env_fn);
    LEDGE_SLOT(create_session_from_array, LEDGE_SLOT_CREATE_SESSION_FROM_ARRAY, ledge_ort_create_session_from_array_fn);
    LEDGE_SLOT(run, LEDGE_SLOT_RUN, ledge_ort_run_fn);
    LEDGE_SLOT(create_session_options, LEDGE_SLOT_CREATE_SESSION_OPTIONS, ledge_ort_create_session_options_fn);
    LEDGE_SLOT(set_optimized_model_file_path, LEDGE_SLOT_SET_OPTIMIZED_MODEL_FILE_PATH, ledge_ort_set_optimized_model_path_fn);
    LEDGE_SLOT(set_session_execution_mode, LEDGE_SLOT_SET_SESSION_EXECUTION_MODE, ledge_ort_set_execution_mode_fn);
    LEDGE_SLOT(disable_mem_pattern, LEDGE_SLOT_DISABLE_MEM_PATTERN, ledge_ort_session_options_switch_fn);
    LEDGE_SLOT(disable_cpu_mem_arena, LEDGE_SLOT_DISABLE_CPU_MEM_ARENA, ledge_ort_session_options_switch_fn);
    LEDGE_SLOT(set_graph_optimization_level, LEDGE_SLOT_SET_GRAPH_OPTIMIZATION_LEVEL, ledge_ort_set_optimization_level_fn);
    LEDGE_SLOT(set_intra_op_threads, LEDGE_SLOT_SET_INTRA_OP_THREADS, ledge_ort_set_threads_fn);
    LEDGE_SLOT(set_inter_op_threads, LEDGE_SLOT_SET_INTER_OP_THREADS, ledge_ort_set_threads_fn);
    LEDGE_SLOT(session_get_input_count, LEDGE_SLOT_SESSION_GET_INPUT_COUNT, ledge_ort_session_get_count_fn);
    LEDGE_SLOT(session_get_output_count, LEDGE_SLOT_SESSION_GET_OUTPUT_COUNT, ledge_ort_session_get_count_fn);
    LEDGE_SLOT(session_get_input_type_info, LEDGE_SLOT_SESSION_GET_INPUT_TYPE_INFO, ledge_ort_session_get_type_info_fn);
    LEDGE_SLOT(session_get_output_type_info, LEDGE_SLOT_SESSION_GET_OUTPUT_TYPE_INFO, ledge_ort_session_get_type_info_fn);
    LEDGE_SLOT(session_get_input_name, LEDGE_SLOT_SESSION_GET_INPUT_NAME, ledge_ort_session_get_name_fn);
    LEDGE_SLOT(session_get_output_name, LEDGE_SLOT_SESSION_GET_OUTPUT_NAME, ledge_ort_session_get_name_fn);
    LEDGE_SLOT(create_run_options, LEDGE_SLOT_CREATE_RUN_OPTIONS, ledge_ort_create_run_options_fn);
    LEDGE_SLOT(run_options_set_terminate, LEDGE_SLOT_RUN_OPTIONS_SET_TERMINATE, ledge_ort_run_options_set_terminate_fn);
    LEDGE_SLOT(create_tensor_with_data, LEDGE_SLOT_CREATE_TENSOR_WITH_DATA, ledge_ort_create_tensor_with_data_fn);
    LEDGE_SLOT(is_tensor, LEDGE_SLOT_IS_TENSOR, ledge_ort_is_tensor_fn);
    LEDGE_SLOT(get_tensor_mutable_data, LEDGE_SLOT_GET_TENSOR_MUTABLE_DATA, ledge_ort_get_tensor_mutable_data_fn);
    LEDGE_SLOT(cast_to_tensor_info, LEDGE_SLOT_CAST_TYPE_INFO_TO_TENSOR_INFO, ledge_ort_cast_type_info_to_tensor_info_fn);
    LEDGE_SLOT(get_onnx_type, LEDGE_SLOT_GET_ONNX_TYPE_FROM_TYPE_INFO, ledge_ort_get_onnx_type_fn);
    LEDGE_SLOT(get_element_type, LEDGE_SLOT_GET_TENSOR_ELEMENT_TYPE, ledge_ort_get_element_type_fn);
    LEDGE_SLOT(get_dimensions_count, LEDGE_SLOT_GET_DIMENSIONS_COUNT, ledge_ort_get_dimensions_count_fn);
    LEDGE_SLOT(get_dimensions, LEDGE_SLOT_GET_DIMENSIONS, ledge_ort_get_dimensions_fn);
    LEDGE_SLOT(get_tensor_type_and_shape, LEDGE_SLOT_GET_TENSOR_TYPE_AND_SHAPE, ledge_ort_get_tensor_type_and_shape_fn);
    LEDGE_SLOT(create_cpu_memory_info, LEDGE_SLOT_CREATE_CPU_MEMORY_INFO, ledge_ort_create_cpu_memory_info_fn);
    LEDGE_SLOT(allocator_free, LEDGE_SLOT_ALLOCATOR_FREE, ledge_ort_allocator_free_fn);
    LEDGE_SLOT(get_default_allocator, LEDGE_SLOT_GET_ALLOCATOR_WITH_DEFAULT_OPTIONS, ledge_ort_get_default_allocator_fn);
    LEDGE_SLOT(release_env, LEDGE_SLOT_RELEASE_ENV, ledge_ort_release_env_fn);
    LEDGE_SLOT(release_status, LEDGE_SLOT_RELEASE_STATUS, ledge_ort_release_status_fn);
    LEDGE_SLOT(release_memory_info, LEDGE_SLOT_RELEASE_MEMORY_INFO, ledge_ort_release_memory_info_fn);
    LEDGE_SLOT(release_session, LEDGE_SLOT_RELEASE_SESSION, ledge_ort_release_session_fn);
    LEDGE_SLOT(release_value, LEDGE_SLOT_RELEASE_VALUE, ledge_ort_release_value_fn);
    LEDGE_SLOT(release_run_options, LEDGE_SLOT_RELEASE_RUN_OPTIONS, ledge_ort_release_run_options_fn);
    LEDGE_SLOT(release_type_info, LEDGE_SLOT_RELEASE_TYPE_INFO, ledge_ort_release_type_info_fn);
    LEDGE_SLOT(release_tensor_info, LEDGE_SLOT_RELEASE_TENSOR_INFO, ledge_ort_release_tensor_info_fn);
    LEDGE_SLOT(release_session_options, LEDGE_SLOT_RELEASE_SESSION_OPTIONS, ledge_ort_release_session_options_fn);
    LEDGE_SLOT(session_get_model_metadata, LEDGE_SLOT_SESSION_GET_MODEL_METADATA, ledge_ort_session_get_metadata_fn);
    LEDGE_SLOT(metadata_get_producer_name, LEDGE_SLOT_METADATA_GET_PRODUCER_NAME, ledge_ort_metadata_get_string_fn);
    LEDGE_SLOT(metadata_get_graph_name, LEDGE_SLOT_METADATA_GET_GRAPH_NAME, ledge_ort_metadata_get_string_fn);
    LEDGE_SLOT(metadata_get_domain, LEDGE_SLOT_METADATA_GET_DOMAIN, ledge_ort_metadata_get_string_fn);
    LEDGE_SLOT(metadata_get_description, LEDGE_SLOT_METADATA_GET_DESCRIPTION, ledge_ort_metadata_get_string_fn);
    LEDGE_SLOT(metadata_lookup_custom, LEDGE_SLOT_METADATA_LOOKUP_CUSTOM, ledge_ort_metadata_lookup_fn);
    LEDGE_SLOT(metadata_get_version, LEDGE_SLOT_METADATA_GET_VERSION, ledge_ort_metadata_get_version_fn);
    LEDGE_SLOT(release_model_metadata, LEDGE_SLOT_RELEASE_MODEL_METADATA, ledge_ort_release_model_metadata_fn);
    LEDGE_SLOT(metadata_get_custom_keys, LEDGE_SLOT_METADATA_GET_CUSTOM_KEYS, ledge_ort_metadata_get_keys_fn);
    LEDGE_SLOT(get_available_providers, LEDGE_SLOT_GET_AVAILABLE_PROVIDERS, ledge_ort_get_available_providers_fn);
    LEDGE_SLOT(release_available_providers, LEDGE_SLOT_RELEASE_AVAILABLE_PROVIDERS, ledge_ort_release_available_providers_fn);
    LEDGE_SLOT(add_session_config_entry, LEDGE_SLOT_ADD_SESSION_CONFIG_ENTRY, ledge_ort_add_session_config_entry_fn);
    LEDGE_SLOT(create_and_register_allocator, LEDGE_SLOT_CREATE_AND_REGISTER_ALLOCATOR,
               ledge_ort_create_and_register_allocator_fn);
    LEDGE_SLOT(add_initializer, LEDGE_SLOT_ADD_INITIALIZER, ledge_ort_add_initializer_fn);
    LEDGE_SLOT(create_prepacked_weights, LEDGE_SLOT_CREATE_PREPACKED_WEIGHTS_CONTAINER, ledge_ort_create_prepacked_weights_fn);
    LEDGE_SLOT(release_prepacked_weights, LEDGE_SLOT_RELEASE_PREPACKED_WEIGHTS_CONTAINER,
               ledge_ort_release_prepacked_weights_fn);
    LEDGE_SLOT(create_session_from_array_prepacked, LEDGE_SLOT_CREATE_SESSION_FROM_ARRAY_WITH_PREPACKED_WEIGHTS_CONTAINER,
               ledge_ort_create_session_from_array_prepacked_fn);
    LEDGE_SLOT(append_provider_cuda_v2, LEDGE_SLOT_APPEND_PROVIDER_CUDA_V2, ledge_ort_append_cuda_v2_fn);
    LEDGE_SLOT(create_cuda_options, LEDGE_SLOT_CREATE_CUDA_OPTIONS, ledge_ort_create_cuda_options_fn);
    LEDGE_SLOT(release_cuda_options, LEDGE_SLOT_RELEASE_CUDA_OPTIONS, ledge_ort_release_cuda_options_fn);
    LEDGE_SLOT(append_provider, LEDGE_SLOT_APPEND_PROVIDER, ledge_ort_append_provider_fn);
    // GetBuildInfoString joined the table in API version 15: read it only when granted.
    api->get_build_info_string =
        version >= 15 ? (ledge_ort_get_build_info_fn)table[LEDGE_SLOT_GET_BUILD_INFO_STRING] : NULL;
#undef LEDGE_SLOT
}

int ledge_ort_load(const char *path, ledge_ort_library *out, char *error, size_t error_size) {
    if (out == NULL || path == NULL) {
        if (error_size > 0) snprintf(error, error_size, "no library path given");
        return -1;
    }
    memset(out, 0, sizeof(*out));
    ledge_ort_default_telemetry_off();
    dlerror();
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *reason = dlerror();
        snprintf(error, error_size, "cannot load ONNX Runtime library '%s': %s", path,
                 reason != NULL ? reason : "unknown dlopen error");
        return -1;
    }
    ledge_ort_get_api_base_fn get_api_base = (ledge_ort_get_api_base_fn)dlsym(handle, "OrtGetApiBase");
    const ledge_ort_api_base *base = get_api_base != NULL ? get_api_base() : NULL;
    if (base == NULL || base->get_api == NULL) {
        snprintf(error, error_size, "'%s' is not an ONNX Runtime library (it has no OrtGetApiBase)", path);
        dlclose(handle);
        return -1;
    }
    const char *version = base->get_version_string != NULL ? base->get_version_string() : NULL;
    uint32_t granted = LEDGE_ORT_API_VERSION;
    const void *table = base->get_api(granted);
    if (table == NULL) {
        granted = LEDGE_ORT_API_VERSION_MIN;
        table = base->get_api(granted);
    }
    if (table == NULL) {
        snprintf(error, error_size,
                 "ONNX Runtime %s at '%s' is too old: it does not provide C API version %d (ONNX Runtime 1.%d or newer)",
                 version != NULL ? version : "(unknown version)", path, LEDGE_ORT_API_VERSION_MIN,
                 LEDGE_ORT_API_VERSION_MIN);
        dlclose(handle);
        return -1;
    }
    ledge_ort_fill((const void *const *)table, &out->api, granted);
    // Every field but the last (GetBuildInfoString, optional) must be set.
    const size_t required = offsetof(ledge_ort_api, get_build_info_string) / sizeof(void (*)(void));
    const ledge_ort_get_build_info_fn *slots = (const ledge_ort_get_build_info_fn *)&out->api;
    for (size_t i = 0; i < required; i++) {
        if (slots[i] == NULL) {
            snprintf(error, error_size, "ONNX Runtime %s at '%s' has an incomplete C API table (field %zu is NULL)",
                     version != NULL ? version : "(unknown version)", path, i);
            memset(out, 0, sizeof(*out));
            dlclose(handle);
            return -1;
        }
    }
    out->handle = handle;
    out->version = version != NULL ? version : "unknown";
    out->api_version = granted;
    return 0;
}
