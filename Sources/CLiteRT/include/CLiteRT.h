// CLiteRT: our own declarations of the part of LiteRT's CompiledModel C API
// that Ledge uses, written from the public ABI (litert/c/*.h in
// google-ai-edge/LiteRT, ai-edge-litert 2.3.0), plus a loader that fills a
// table of typed function pointers with dlsym from libLiteRt.so.
//
// Why it exists: the LiteRT wheel ships only a shared library, no headers, and
// Ledge loads it at run time (dlopen) so one binary runs with or without it.
// Every symbol this target defines is prefixed `ledge_`.
#ifndef LEDGE_CLITERT_H
#define LEDGE_CLITERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Opaque handles.
typedef struct ledge_litert_environment_s *ledge_litert_environment;
typedef struct ledge_litert_model_s *ledge_litert_model;
typedef struct ledge_litert_signature_s *ledge_litert_signature;
typedef struct ledge_litert_tensor_s *ledge_litert_tensor;
typedef struct ledge_litert_options_s *ledge_litert_options;
typedef struct ledge_litert_opaque_options_s *ledge_litert_opaque_options;
typedef struct ledge_litert_compiled_model_s *ledge_litert_compiled_model;
typedef struct ledge_litert_tensor_buffer_s *ledge_litert_tensor_buffer;
typedef struct ledge_litert_buffer_requirements_s *ledge_litert_buffer_requirements;

/// LiteRtStatus: 0 is success.
typedef int ledge_litert_status;
enum { LEDGE_LITERT_OK = 0 };

/// LiteRtElementType values (they follow TfLiteType).
enum {
    LEDGE_LITERT_ELEMENT_NONE = 0,
    LEDGE_LITERT_ELEMENT_FLOAT32 = 1,
    LEDGE_LITERT_ELEMENT_INT32 = 2,
    LEDGE_LITERT_ELEMENT_UINT8 = 3,
    LEDGE_LITERT_ELEMENT_INT64 = 4,
    LEDGE_LITERT_ELEMENT_STRING = 5,
    LEDGE_LITERT_ELEMENT_BOOL = 6,
    LEDGE_LITERT_ELEMENT_INT16 = 7,
    LEDGE_LITERT_ELEMENT_INT8 = 9,
    LEDGE_LITERT_ELEMENT_FLOAT16 = 10,
    LEDGE_LITERT_ELEMENT_FLOAT64 = 11,
    LEDGE_LITERT_ELEMENT_UINT64 = 13,
    LEDGE_LITERT_ELEMENT_UINT32 = 16,
    LEDGE_LITERT_ELEMENT_UINT16 = 17,
};

#define LEDGE_LITERT_MAX_RANK 8

/// LiteRtLayout (2.x): a 7-bit rank and a has-strides bit packed in the first
/// 32-bit word, then 8 dimensions and 8 strides. 68 bytes, 4-byte aligned.
typedef struct {
    unsigned int rank : 7;
    bool has_strides : 1;
    int32_t dimensions[LEDGE_LITERT_MAX_RANK];
    uint32_t strides[LEDGE_LITERT_MAX_RANK];
} ledge_litert_layout;

/// LiteRtRankedTensorType: element type (an int enum) then the layout; 72 bytes.
typedef struct {
    int element_type;
    ledge_litert_layout layout;
} ledge_litert_ranked_tensor_type;

_Static_assert(sizeof(ledge_litert_ranked_tensor_type) == 72, "LiteRtRankedTensorType is 72 bytes");

/// LiteRtQuantizationPerTensor: 16 bytes, zero point at offset 8.
typedef struct {
    float scale;
    int64_t zero_point;
} ledge_litert_quantization_per_tensor;

/// LiteRtQuantizationTypeId.
enum { LEDGE_LITERT_QUANTIZATION_NONE = 0, LEDGE_LITERT_QUANTIZATION_PER_TENSOR = 1,
       LEDGE_LITERT_QUANTIZATION_PER_CHANNEL = 2 };

/// LiteRtAny: a type tag then an 8-byte union; LiteRtEnvOption: a tag then a LiteRtAny (24 bytes).
typedef struct {
    int type;  // 1 bool, 2 int, 3 real, 8 string, 9 pointer
    union {
        bool bool_value;
        int64_t int_value;
        double real_value;
        const char *str_value;
        const void *ptr_value;
    } value;
} ledge_litert_any;

typedef struct {
    int tag;
    ledge_litert_any value;
} ledge_litert_env_option;

_Static_assert(sizeof(ledge_litert_env_option) == 24, "LiteRtEnvOption is 24 bytes");

/// kLiteRtEnvOptionTagAutoRegisterAccelerators: bitmask of accelerators to register.
enum { LEDGE_LITERT_ENV_AUTO_REGISTER_ACCELERATORS = 24 };
/// kLiteRtEnvOptionTagMinLoggerSeverity, and kLiteRtLogSeverityWarning (0 verbose … 4 silent).
enum { LEDGE_LITERT_ENV_MIN_LOGGER_SEVERITY = 25, LEDGE_LITERT_LOG_WARNING = 2 };
/// kLiteRtHwAcceleratorCpu.
enum { LEDGE_LITERT_ACCELERATOR_CPU = 1 };

/// The functions Ledge calls, resolved by dlsym.
typedef struct {
    void *handle;
    ledge_litert_status (*CreateEnvironment)(int, const ledge_litert_env_option *, ledge_litert_environment *);
    void (*DestroyEnvironment)(ledge_litert_environment);
    ledge_litert_status (*CreateModelFromBuffer)(ledge_litert_environment, const void *, size_t, ledge_litert_model *);
    void (*DestroyModel)(ledge_litert_model);
    ledge_litert_status (*GetNumModelSignatures)(ledge_litert_model, size_t *);
    ledge_litert_status (*GetModelSignature)(ledge_litert_model, size_t, ledge_litert_signature *);
    ledge_litert_status (*GetSignatureKey)(ledge_litert_signature, const char **);
    ledge_litert_status (*GetNumSignatureInputs)(ledge_litert_signature, size_t *);
    ledge_litert_status (*GetNumSignatureOutputs)(ledge_litert_signature, size_t *);
    ledge_litert_status (*GetSignatureInputName)(ledge_litert_signature, size_t, const char **);
    ledge_litert_status (*GetSignatureOutputName)(ledge_litert_signature, size_t, const char **);
    ledge_litert_status (*GetSignatureInputTensorByIndex)(ledge_litert_signature, size_t, ledge_litert_tensor *);
    ledge_litert_status (*GetSignatureOutputTensorByIndex)(ledge_litert_signature, size_t, ledge_litert_tensor *);
    ledge_litert_status (*GetRankedTensorType)(ledge_litert_tensor, ledge_litert_ranked_tensor_type *);
    ledge_litert_status (*GetQuantizationTypeId)(ledge_litert_tensor, int *);
    ledge_litert_status (*GetPerTensorQuantization)(ledge_litert_tensor, ledge_litert_quantization_per_tensor *);
    ledge_litert_status (*CreateOptions)(ledge_litert_options *);
    void (*DestroyOptions)(ledge_litert_options);
    ledge_litert_status (*SetOptionsHardwareAccelerators)(ledge_litert_options, int);
    ledge_litert_status (*CreateOpaqueOptions)(const char *, void *, void (*)(void *), ledge_litert_opaque_options *);
    void (*DestroyOpaqueOptions)(ledge_litert_opaque_options);
    ledge_litert_status (*AddOpaqueOptions)(ledge_litert_options, ledge_litert_opaque_options);
    ledge_litert_status (*CreateCompiledModel)(ledge_litert_environment, ledge_litert_model, ledge_litert_options,
                                               ledge_litert_compiled_model *);
    void (*DestroyCompiledModel)(ledge_litert_compiled_model);
    ledge_litert_status (*GetCompiledModelInputBufferRequirements)(ledge_litert_compiled_model, size_t, size_t,
                                                                   ledge_litert_buffer_requirements *);
    ledge_litert_status (*GetCompiledModelOutputBufferRequirements)(ledge_litert_compiled_model, size_t, size_t,
                                                                    ledge_litert_buffer_requirements *);
    ledge_litert_status (*GetTensorBufferRequirementsBufferSize)(ledge_litert_buffer_requirements, size_t *);
    ledge_litert_status (*GetCompiledModelOutputTensorLayouts)(ledge_litert_compiled_model, size_t, size_t,
                                                               ledge_litert_layout *, bool);
    ledge_litert_status (*CompiledModelResizeInputTensor)(ledge_litert_compiled_model, size_t, size_t, const int *, size_t);
    ledge_litert_status (*CreateTensorBufferFromHostMemory)(const ledge_litert_ranked_tensor_type *, void *, size_t,
                                                            void (*)(void *), ledge_litert_tensor_buffer *);
    void (*DestroyTensorBuffer)(ledge_litert_tensor_buffer);
    ledge_litert_status (*RunCompiledModel)(ledge_litert_compiled_model, size_t, size_t, ledge_litert_tensor_buffer *,
                                            size_t, ledge_litert_tensor_buffer *);
} ledge_litert_api;

/// Opens `path` and resolves every function. Returns a table that lives for the
/// rest of the process, or NULL with a one-line reason written to `errbuf`.
const ledge_litert_api *ledge_litert_load(const char *path, char *errbuf, size_t errlen);
/// Frees the table `ledge_litert_load` returned. The library stays loaded (see
/// loader.c: LiteRT cannot be unloaded safely). Call it only after every LiteRT
/// object made through the table is destroyed.
void ledge_litert_unload(const ledge_litert_api *api);

/// Our own text for a LiteRtStatus code (the library does not export one).
const char *ledge_litert_status_text(ledge_litert_status status);

/// Creates an environment that registers only the CPU accelerator and logs warnings and errors only.
ledge_litert_status ledge_litert_create_cpu_environment(const ledge_litert_api *api, ledge_litert_environment *out);

/// Creates compilation options: CPU accelerator and XNNPACK with `threads` threads, and with
/// `weight_cache` (or NULL) as XNNPACK's weight cache file: packed weights are read from it when
/// it holds them (mapped, so sessions of one model share them) and written to it when it is missing.
ledge_litert_status ledge_litert_create_cpu_options(const ledge_litert_api *api, int threads, const char *weight_cache,
                                                    ledge_litert_options *out);

/// Signature 0's output shapes after re-allocation (LiteRT propagates resized
/// inputs): `count` outputs, dimensions written to `dims[i * 8 ...]`, ranks to `ranks`.
ledge_litert_status ledge_litert_output_shapes(const ledge_litert_api *api, ledge_litert_compiled_model compiled,
                                               size_t count, int32_t *dims, int32_t *ranks);

/// The rank of a ranked tensor type (the 7-bit field).
int ledge_litert_layout_rank(const ledge_litert_ranked_tensor_type *type);
/// Sets the rank and dimensions of a ranked tensor type, clearing strides.
void ledge_litert_layout_set(ledge_litert_ranked_tensor_type *type, const int32_t *dims, int rank);

/// Points stderr at a private file until `ledge_litert_stderr_quiet_end`, which
/// restores it: the runtime's own lines (`INFO: `, `WARNING: `, `ERROR: `,
/// `VERBOSE: `) go to `runtime_lines` (newline-separated, truncated to fit) for
/// the caller's logger, other lines are passed on to stderr, and the first
/// `ERROR: ` line's text goes to `first_error`. Windows may overlap (stderr is
/// restored when the last one ends); begin returns the window's start, to pass
/// to end (-1: nothing was captured).
long ledge_litert_stderr_quiet_begin(void);
void ledge_litert_stderr_quiet_end(long start, char *runtime_lines, size_t runtime_lines_len, char *first_error,
                                   size_t first_error_len);

/// The calling thread's kernel id (gettid).
int ledge_litert_thread_id(void);
/// The CPUs the calling thread may run on, ascending, at most `capacity`; their count.
int ledge_litert_allowed_cpus(int *cpus, int capacity);
/// Restricts thread `thread_id` of this process to `cpu`; 0, or -1 (errno set).
int ledge_litert_pin_thread(int thread_id, int cpu);
/// The CPU the calling thread runs on now (sched_getcpu), -1 when unknown.
int ledge_litert_current_cpu(void);
/// The ids of this process's threads named `name` (/proc/self/task/N/comm), at most `capacity`; their count.
int ledge_litert_threads_named(const char *name, int *thread_ids, int capacity);

#ifdef __cplusplus
}
#endif

#endif
