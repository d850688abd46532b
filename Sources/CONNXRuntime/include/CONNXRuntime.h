// CONNXRuntime: Ledge's own declarations of the part of the ONNX Runtime C API
// that Ledge uses, plus a dlopen loader.
//
// Why this exists: ONNX Runtime ships as a shared library inside the PyPI
// wheel, without headers we could depend on. We load it at run time with
// dlopen, ask `OrtGetApiBase` for the API table, and read the function
// pointers we need by slot index (the table only ever grows at its end), so we
// never declare the whole ~430-slot struct and cannot silently miscount it.
// Every symbol defined here is prefixed `ledge_` / `LEDGE_`; the C types of the
// runtime are opaque to us.
#ifndef LEDGE_CONNXRUNTIME_H
#define LEDGE_CONNXRUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Only the API table's fields carry nullability (Swift then calls them without
// unwrapping); the loader checks that every required slot is non-NULL.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wnullability-completeness"

// MARK: - Opaque runtime objects

typedef struct ledge_ort_env ledge_ort_env;
typedef struct ledge_ort_status ledge_ort_status;
typedef struct ledge_ort_memory_info ledge_ort_memory_info;
typedef struct ledge_ort_session ledge_ort_session;
typedef struct ledge_ort_value ledge_ort_value;
typedef struct ledge_ort_run_options ledge_ort_run_options;
typedef struct ledge_ort_type_info ledge_ort_type_info;
typedef struct ledge_ort_tensor_info ledge_ort_tensor_info;
typedef struct ledge_ort_session_options ledge_ort_session_options;
typedef struct ledge_ort_model_metadata ledge_ort_model_metadata;
typedef struct ledge_ort_cuda_options ledge_ort_cuda_options;
/// The runtime's allocator: a struct of function pointers we never look into.
typedef struct ledge_ort_allocator ledge_ort_allocator;
typedef struct ledge_ort_prepacked_weights ledge_ort_prepacked_weights;

// MARK: - Enumerations (values fixed by the ABI)

/// ONNXTensorElementDataType.
typedef enum ledge_ort_element_type {
    LEDGE_ORT_ELEMENT_UNDEFINED = 0,
    LEDGE_ORT_ELEMENT_FLOAT = 1,
    LEDGE_ORT_ELEMENT_UINT8 = 2,
    LEDGE_ORT_ELEMENT_INT8 = 3,
    LEDGE_ORT_ELEMENT_UINT16 = 4,
    LEDGE_ORT_ELEMENT_INT16 = 5,
    LEDGE_ORT_ELEMENT_INT32 = 6,
    LEDGE_ORT_ELEMENT_INT64 = 7,
    LEDGE_ORT_ELEMENT_STRING = 8,
    LEDGE_ORT_ELEMENT_BOOL = 9,
    LEDGE_ORT_ELEMENT_FLOAT16 = 10,
    LEDGE_ORT_ELEMENT_DOUBLE = 11,
    LEDGE_ORT_ELEMENT_UINT32 = 12,
    LEDGE_ORT_ELEMENT_UINT64 = 13,
    LEDGE_ORT_ELEMENT_COMPLEX64 = 14,
    LEDGE_ORT_ELEMENT_COMPLEX128 = 15,
    LEDGE_ORT_ELEMENT_BFLOAT16 = 16,
} ledge_ort_element_type;

/// ONNXType.
typedef enum ledge_ort_onnx_type {
    LEDGE_ORT_TYPE_UNKNOWN = 0,
    LEDGE_ORT_TYPE_TENSOR = 1,
    LEDGE_ORT_TYPE_SEQUENCE = 2,
    LEDGE_ORT_TYPE_MAP = 3,
    LEDGE_ORT_TYPE_OPAQUE = 4,
    LEDGE_ORT_TYPE_SPARSETENSOR = 5,
    LEDGE_ORT_TYPE_OPTIONAL = 6,
} ledge_ort_onnx_type;

/// OrtErrorCode.
typedef enum ledge_ort_error_code {
    LEDGE_ORT_OK = 0,
    LEDGE_ORT_FAIL = 1,
    LEDGE_ORT_INVALID_ARGUMENT = 2,
    LEDGE_ORT_NO_SUCHFILE = 3,
    LEDGE_ORT_NO_MODEL = 4,
    LEDGE_ORT_ENGINE_ERROR = 5,
    LEDGE_ORT_RUNTIME_EXCEPTION = 6,
    LEDGE_ORT_INVALID_PROTOBUF = 7,
    LEDGE_ORT_MODEL_LOADED = 8,
    LEDGE_ORT_NOT_IMPLEMENTED = 9,
    LEDGE_ORT_INVALID_GRAPH = 10,
    LEDGE_ORT_EP_FAIL = 11,
} ledge_ort_error_code;

/// OrtLoggingLevel.
typedef enum ledge_ort_logging_level {
    LEDGE_ORT_LOG_VERBOSE = 0,
    LEDGE_ORT_LOG_INFO = 1,
    LEDGE_ORT_LOG_WARNING = 2,
    LEDGE_ORT_LOG_ERROR = 3,
    LEDGE_ORT_LOG_FATAL = 4,
} ledge_ort_logging_level;

/// GraphOptimizationLevel.
typedef enum ledge_ort_graph_optimization {
    LEDGE_ORT_OPTIMIZATION_DISABLE_ALL = 0,
    LEDGE_ORT_OPTIMIZATION_BASIC = 1,
    LEDGE_ORT_OPTIMIZATION_EXTENDED = 2,
    LEDGE_ORT_OPTIMIZATION_ALL = 99,
} ledge_ort_graph_optimization;

/// ExecutionMode.
typedef enum ledge_ort_execution_mode {
    LEDGE_ORT_SEQUENTIAL = 0,
    LEDGE_ORT_PARALLEL = 1,
} ledge_ort_execution_mode;

/// OrtAllocatorType.
typedef enum ledge_ort_allocator_type {
    LEDGE_ORT_INVALID_ALLOCATOR = -1,
    LEDGE_ORT_DEVICE_ALLOCATOR = 0,
    LEDGE_ORT_ARENA_ALLOCATOR = 1,
} ledge_ort_allocator_type;

/// OrtMemType.
typedef enum ledge_ort_mem_type {
    LEDGE_ORT_MEM_CPU_INPUT = -2,
    LEDGE_ORT_MEM_CPU_OUTPUT = -1,
    LEDGE_ORT_MEM_DEFAULT = 0,
} ledge_ort_mem_type;

// MARK: - Function-pointer types of the slots we call

typedef ledge_ort_status *ledge_ort_status_ptr;

typedef ledge_ort_error_code (*ledge_ort_get_error_code_fn)(const ledge_ort_status *);
typedef const char *(*ledge_ort_get_error_message_fn)(const ledge_ort_status *);
typedef ledge_ort_status_ptr (*ledge_ort_create_env_fn)(ledge_ort_logging_level, const char *logid, ledge_ort_env **out);
typedef ledge_ort_status_ptr (*ledge_ort_create_session_from_array_fn)(const ledge_ort_env *, const void *data, size_t length,
                                                                      const ledge_ort_session_options *, ledge_ort_session **out);
typedef ledge_ort_status_ptr (*ledge_ort_run_fn)(ledge_ort_session *, const ledge_ort_run_options *,
                                                 const char *const *input_names, const ledge_ort_value *const *inputs,
                                                 size_t input_count, const char *const *output_names, size_t output_count,
                                                 ledge_ort_value **outputs);
typedef ledge_ort_status_ptr (*ledge_ort_create_session_options_fn)(ledge_ort_session_options **out);
/// `path` is an `ORTCHAR_T *`, which is `char` on Linux.
typedef ledge_ort_status_ptr (*ledge_ort_set_optimized_model_path_fn)(ledge_ort_session_options *, const char *path);
typedef ledge_ort_status_ptr (*ledge_ort_set_execution_mode_fn)(ledge_ort_session_options *, ledge_ort_execution_mode);
typedef ledge_ort_status_ptr (*ledge_ort_set_optimization_level_fn)(ledge_ort_session_options *, ledge_ort_graph_optimization);
typedef ledge_ort_status_ptr (*ledge_ort_set_threads_fn)(ledge_ort_session_options *, int threads);
/// A session option switched by a call of its own (DisableMemPattern, DisableCpuMemArena).
typedef ledge_ort_status_ptr (*ledge_ort_session_options_switch_fn)(ledge_ort_session_options *);
typedef ledge_ort_status_ptr (*ledge_ort_session_get_count_fn)(const ledge_ort_session *, size_t *out);
typedef ledge_ort_status_ptr (*ledge_ort_session_get_type_info_fn)(const ledge_ort_session *, size_t index, ledge_ort_type_info **out);
typedef ledge_ort_status_ptr (*ledge_ort_session_get_name_fn)(const ledge_ort_session *, size_t index, ledge_ort_allocator *,
                                                              char **out);
typedef ledge_ort_status_ptr (*ledge_ort_create_tensor_with_data_fn)(const ledge_ort_memory_info *, void *data, size_t byte_count,
                                                                    const int64_t *shape, size_t rank, ledge_ort_element_type,
                                                                    ledge_ort_value **out);
typedef ledge_ort_status_ptr (*ledge_ort_is_tensor_fn)(const ledge_ort_value *, int *out);
typedef ledge_ort_status_ptr (*ledge_ort_get_tensor_mutable_data_fn)(ledge_ort_value *, void **out);
typedef ledge_ort_status_ptr (*ledge_ort_cast_type_info_to_tensor_info_fn)(const ledge_ort_type_info *,
                                                                          const ledge_ort_tensor_info **out);
typedef ledge_ort_status_ptr (*ledge_ort_get_onnx_type_fn)(const ledge_ort_type_info *, ledge_ort_onnx_type *out);
typedef ledge_ort_status_ptr (*ledge_ort_get_element_type_fn)(const ledge_ort_tensor_info *, ledge_ort_element_type *out);
typedef ledge_ort_status_ptr (*ledge_ort_get_dimensions_count_fn)(const ledge_ort_tensor_info *, size_t *out);
typedef ledge_ort_status_ptr (*ledge_ort_get_dimensions_fn)(const ledge_ort_tensor_info *, int64_t *out, size_t count);
typedef ledge_ort_status_ptr (*ledge_ort_get_tensor_type_and_shape_fn)(const ledge_ort_value *, ledge_ort_tensor_info **out);
typedef ledge_ort_status_ptr (*ledge_ort_create_cpu_memory_info_fn)(ledge_ort_allocator_type, ledge_ort_mem_type,
                                                                   ledge_ort_memory_info **out);
typedef ledge_ort_status_ptr (*ledge_ort_allocator_free_fn)(ledge_ort_allocator *, void *pointer);
typedef ledge_ort_status_ptr (*ledge_ort_get_default_allocator_fn)(ledge_ort_allocator **out);
typedef void (*ledge_ort_release_env_fn)(ledge_ort_env *);
typedef void (*ledge_ort_release_status_fn)(ledge_ort_status *);
typedef void (*ledge_ort_release_memory_info_fn)(ledge_ort_memory_info *);
typedef void (*ledge_ort_release_session_fn)(ledge_ort_session *);
typedef void (*ledge_ort_release_value_fn)(ledge_ort_value *);
typedef ledge_ort_status_ptr (*ledge_ort_create_run_options_fn)(ledge_ort_run_options **out);
/// RunOptionsSetTerminate: a Run with these options stops at its next kernel with an error.
typedef ledge_ort_status_ptr (*ledge_ort_run_options_set_terminate_fn)(ledge_ort_run_options *);
typedef void (*ledge_ort_release_run_options_fn)(ledge_ort_run_options *);
typedef void (*ledge_ort_release_type_info_fn)(ledge_ort_type_info *);
typedef void (*ledge_ort_release_tensor_info_fn)(ledge_ort_tensor_info *);
typedef void (*ledge_ort_release_session_options_fn)(ledge_ort_session_options *);
typedef ledge_ort_status_ptr (*ledge_ort_session_get_metadata_fn)(const ledge_ort_session *, ledge_ort_model_metadata **out);
typedef ledge_ort_status_ptr (*ledge_ort_metadata_get_string_fn)(const ledge_ort_model_metadata *, ledge_ort_allocator *,
                                                                 char **out);
typedef ledge_ort_status_ptr (*ledge_ort_metadata_lookup_fn)(const ledge_ort_model_metadata *, ledge_ort_allocator *,
                                                             const char *key, char **out);
typedef ledge_ort_status_ptr (*ledge_ort_metadata_get_version_fn)(const ledge_ort_model_metadata *, int64_t *out);
typedef void (*ledge_ort_release_model_metadata_fn)(ledge_ort_model_metadata *);
typedef ledge_ort_status_ptr (*ledge_ort_metadata_get_keys_fn)(const ledge_ort_model_metadata *, ledge_ort_allocator *,
                                                               char ***keys, int64_t *count);
typedef ledge_ort_status_ptr (*ledge_ort_get_available_providers_fn)(char ***out, int *count);
typedef ledge_ort_status_ptr (*ledge_ort_release_available_providers_fn)(char **providers, int count);
typedef ledge_ort_status_ptr (*ledge_ort_add_session_config_entry_fn)(ledge_ort_session_options *, const char *key,
                                                                      const char *value);
/// `arena_cfg` is an `OrtArenaCfg *`; NULL: the runtime's defaults.
typedef ledge_ort_status_ptr (*ledge_ort_create_and_register_allocator_fn)(ledge_ort_env *, const ledge_ort_memory_info *,
                                                                           const void *arena_cfg);
/// The session uses `value` (which must outlive it) as the initializer `name` instead of the model's own.
typedef ledge_ort_status_ptr (*ledge_ort_add_initializer_fn)(ledge_ort_session_options *, const char *name,
                                                             const ledge_ort_value *value);
typedef ledge_ort_status_ptr (*ledge_ort_create_prepacked_weights_fn)(ledge_ort_prepacked_weights **out);
typedef void (*ledge_ort_release_prepacked_weights_fn)(ledge_ort_prepacked_weights *);
/// CreateSessionFromArray, with the kernels' pre-packed weights kept in (and taken from) `container`.
typedef ledge_ort_status_ptr (*ledge_ort_create_session_from_array_prepacked_fn)(
    const ledge_ort_env *, const void *data, size_t length, const ledge_ort_session_options *,
    ledge_ort_prepacked_weights *container, ledge_ort_session **out);
typedef ledge_ort_status_ptr (*ledge_ort_append_cuda_v2_fn)(ledge_ort_session_options *, const ledge_ort_cuda_options *);
typedef ledge_ort_status_ptr (*ledge_ort_create_cuda_options_fn)(ledge_ort_cuda_options **out);
typedef void (*ledge_ort_release_cuda_options_fn)(ledge_ort_cuda_options *);
typedef ledge_ort_status_ptr (*ledge_ort_append_provider_fn)(ledge_ort_session_options *, const char *provider_name,
                                                             const char *const *keys, const char *const *values, size_t count);
typedef const char *(*ledge_ort_get_build_info_fn)(void);

/// The functions Ledge calls, read from the API table by slot index.
typedef struct ledge_ort_api {
    ledge_ort_get_error_code_fn _Nonnull get_error_code;                          // 1
    ledge_ort_get_error_message_fn _Nonnull get_error_message;                    // 2
    ledge_ort_create_env_fn _Nonnull create_env;                                  // 3
    ledge_ort_create_session_from_array_fn _Nonnull create_session_from_array;    // 8
    ledge_ort_run_fn _Nonnull run;                                                // 9
    ledge_ort_create_session_options_fn _Nonnull create_session_options;          // 10
    ledge_ort_set_optimized_model_path_fn _Nonnull set_optimized_model_file_path; // 11
    ledge_ort_set_execution_mode_fn _Nonnull set_session_execution_mode;          // 13
    ledge_ort_session_options_switch_fn _Nonnull disable_mem_pattern;             // 17
    ledge_ort_session_options_switch_fn _Nonnull disable_cpu_mem_arena;           // 19
    ledge_ort_set_optimization_level_fn _Nonnull set_graph_optimization_level;    // 23
    ledge_ort_set_threads_fn _Nonnull set_intra_op_threads;                       // 24
    ledge_ort_set_threads_fn _Nonnull set_inter_op_threads;                       // 25
    ledge_ort_session_get_count_fn _Nonnull session_get_input_count;              // 30
    ledge_ort_session_get_count_fn _Nonnull session_get_output_count;             // 31
    ledge_ort_session_get_type_info_fn _Nonnull session_get_input_type_info;      // 33
    ledge_ort_session_get_type_info_fn _Nonnull session_get_output_type_info;     // 34
    ledge_ort_session_get_name_fn _Nonnull session_get_input_name;                // 36
    ledge_ort_session_get_name_fn _Nonnull session_get_output_name;               // 37
    ledge_ort_create_run_options_fn _Nonnull create_run_options;                  // 39
    ledge_ort_run_options_set_terminate_fn _Nonnull run_options_set_terminate;    // 46
    ledge_ort_create_tensor_with_data_fn _Nonnull create_tensor_with_data;        // 49
    ledge_ort_is_tensor_fn _Nonnull is_tensor;                                    // 50
    ledge_ort_get_tensor_mutable_data_fn _Nonnull get_tensor_mutable_data;        // 51
    ledge_ort_cast_type_info_to_tensor_info_fn _Nonnull cast_to_tensor_info;      // 55
    ledge_ort_get_onnx_type_fn _Nonnull get_onnx_type;                            // 56
    ledge_ort_get_element_type_fn _Nonnull get_element_type;                      // 60
    ledge_ort_get_dimensions_count_fn _Nonnull get_dimensions_count;              // 61
    ledge_ort_get_dimensions_fn _Nonnull get_dimensions;                          // 62
    ledge_ort_get_tensor_type_and_shape_fn _Nonnull get_tensor_type_and_shape;    // 65
    ledge_ort_create_cpu_memory_info_fn _Nonnull create_cpu_memory_info;          // 69
    ledge_ort_allocator_free_fn _Nonnull allocator_free;                          // 76
    ledge_ort_get_default_allocator_fn _Nonnull get_default_allocator;            // 78
    ledge_ort_release_env_fn _Nonnull release_env;                                // 92
    ledge_ort_release_status_fn _Nonnull release_status;                          // 93
    ledge_ort_release_memory_info_fn _Nonnull release_memory_info;                // 94
    ledge_ort_release_session_fn _Nonnull release_session;                        // 95
    ledge_ort_release_value_fn _Nonnull release_value;                            // 96
    ledge_ort_release_run_options_fn _Nonnull release_run_options;                // 97
    ledge_ort_release_type_info_fn _Nonnull release_type_info;                    // 98
    ledge_ort_release_tensor_info_fn _Nonnull release_tensor_info;                // 99
    ledge_ort_release_session_options_fn _Nonnull release_session_options;        // 100
    ledge_ort_session_get_metadata_fn _Nonnull session_get_model_metadata;        // 111
    ledge_ort_metadata_get_string_fn _Nonnull metadata_get_producer_name;         // 112
    ledge_ort_metadata_get_string_fn _Nonnull metadata_get_graph_name;            // 113
    ledge_ort_metadata_get_string_fn _Nonnull metadata_get_domain;                // 114
    ledge_ort_metadata_get_string_fn _Nonnull metadata_get_description;           // 115
    ledge_ort_metadata_lookup_fn _Nonnull metadata_lookup_custom;                 // 116
    ledge_ort_metadata_get_version_fn _Nonnull metadata_get_version;              // 117
    ledge_ort_release_model_metadata_fn _Nonnull release_model_metadata;          // 118
    ledge_ort_metadata_get_keys_fn _Nonnull metadata_get_custom_keys;             // 123
    ledge_ort_get_available_providers_fn _Nonnull get_available_providers;        // 125
    ledge_ort_release_available_providers_fn _Nonnull release_available_providers; // 126
    ledge_ort_add_session_config_entry_fn _Nonnull add_session_config_entry;      // 130
    ledge_ort_create_and_register_allocator_fn _Nonnull create_and_register_allocator; // 144
    ledge_ort_add_initializer_fn _Nonnull add_initializer;                        // 150
    ledge_ort_create_prepacked_weights_fn _Nonnull create_prepacked_weights;      // 166
    ledge_ort_release_prepacked_weights_fn _Nonnull release_prepacked_weights;    // 167
    ledge_ort_create_session_from_array_prepacked_fn _Nonnull create_session_from_array_prepacked; // 169
    ledge_ort_append_cuda_v2_fn _Nonnull append_provider_cuda_v2;                 // 204
    ledge_ort_create_cuda_options_fn _Nonnull create_cuda_options;                // 205
    ledge_ort_release_cuda_options_fn _Nonnull release_cuda_options;              // 208
    ledge_ort_append_provider_fn _Nonnull append_provider;                        // 216
    /// NULL when the runtime grants only an API version below 15.
    ledge_ort_get_build_info_fn _Nullable get_build_info_string;                   // 254
} ledge_ort_api;

/// The API version Ledge asks for first (covers every slot above).
#define LEDGE_ORT_API_VERSION 15
/// The lowest API version Ledge accepts (everything but GetBuildInfoString).
#define LEDGE_ORT_API_VERSION_MIN 12

/// A loaded ONNX Runtime library.
typedef struct ledge_ort_library {
    /// The dlopen handle.
    void *handle;
    /// The runtime's version string, e.g. "1.31.1" (owned by the library).
    const char *version;
    /// The API version granted: LEDGE_ORT_API_VERSION or LEDGE_ORT_API_VERSION_MIN.
    uint32_t api_version;
    ledge_ort_api api;
} ledge_ort_library;

/// Opens the library at `path`, finds `OrtGetApiBase`, asks for the API table
/// and fills `out`. Returns 0 on success; otherwise writes a one-line reason
/// into `error` (at most `error_size` bytes, NUL-terminated) and returns -1.
int ledge_ort_load(const char *path, ledge_ort_library *out, char *error, size_t error_size);

/// Sets ORT_DISABLE_TELEMETRY=1 unless the variable is set (see loader.c for why
/// and when): call it while the process has one thread, after reading argv.
void ledge_ort_default_telemetry_off(void);

#pragma clang diagnostic pop

#ifdef __cplusplus
}
#endif

#endif
