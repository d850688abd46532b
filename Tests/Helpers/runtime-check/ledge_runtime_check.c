// ledge-runtime-check: a test helper (not product code) that runs one model
// through a runtime library the way the release images will, so tests can
// compare architectures (x86_64 natively, aarch64 under qemu-user) with the
// same program.
//
//   ledge-runtime-check litert LIB MODEL INPUT.raw OUTPUT.raw
//   ledge-runtime-check onnxruntime LIB MODEL INPUT.raw OUTPUT.raw D0,D1,...
//   ledge-runtime-check --version
//
// LIB is dlopen'ed; INPUT.raw's bytes go into input 0 (its size must match the
// input exactly); output 0's raw bytes are written to OUTPUT.raw and one line
// `top1 INDEX VALUE` (argmax over output 0, uint8 or float32) goes to stdout.
// Any error: one line on stderr, exit status 3. One thread everywhere.
//
// The declarations below are our own, written from the public ABI of LiteRT
// 2.x (litert/c/*.h) and ONNX Runtime (onnxruntime_c_api.h, OrtApi slots),
// covering only what this program calls. Self-contained: build with
//   cc -O2 -o ledge-runtime-check ledge_runtime_check.c -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VERSION "1"

static void fail(const char *format, ...) {
    va_list args;
    va_start(args, format);
    fputs("ledge-runtime-check: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    exit(3);
}

static void *aligned_zeroed(size_t size) {
    void *p = NULL;
    size_t rounded = (size + 63) & ~(size_t)63;
    if (posix_memalign(&p, 64, rounded ? rounded : 64) != 0) fail("out of memory (%zu bytes)", size);
    memset(p, 0, rounded ? rounded : 64);
    return p;
}

// Reads a whole file into 64-byte aligned memory.
static void *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) fail("cannot open %s: %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0) fail("cannot seek %s", path);
    long length = ftell(f);
    if (length < 0) fail("cannot size %s", path);
    rewind(f);
    void *data = aligned_zeroed((size_t)length);
    if (length > 0 && fread(data, 1, (size_t)length, f) != (size_t)length) fail("cannot read %s", path);
    fclose(f);
    *size = (size_t)length;
    return data;
}

static void write_file(const char *path, const void *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (f == NULL) fail("cannot create %s: %s", path, strerror(errno));
    if (size > 0 && fwrite(data, 1, size, f) != size) fail("cannot write %s", path);
    if (fclose(f) != 0) fail("cannot write %s", path);
}

static void *open_library(const char *path) {
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *reason = dlerror();
        fail("cannot load %s: %s", path, reason ? reason : "dlopen failed");
    }
    return handle;
}

static void *symbol(void *handle, const char *name) {
    void *p = dlsym(handle, name);
    if (p == NULL) fail("the library has no %s", name);
    return p;
}

static void print_top1_u8(const uint8_t *values, size_t count) {
    if (count == 0) fail("output 0 is empty");
    size_t best = 0;
    for (size_t i = 1; i < count; i++)
        if (values[i] > values[best]) best = i;
    printf("top1 %zu %u\n", best, (unsigned)values[best]);
}

static void print_top1_f32(const float *values, size_t count) {
    if (count == 0) fail("output 0 is empty");
    size_t best = 0;
    for (size_t i = 1; i < count; i++)
        if (values[i] > values[best]) best = i;
    printf("top1 %zu %.9g\n", best, (double)values[best]);
}

// ---------------------------------------------------------------------------
// LiteRT (CompiledModel C API of libLiteRt.so)

typedef int lrt_status;  // LiteRtStatus, 0 = ok
typedef struct lrt_opaque *lrt_handle;  // every LiteRt* object is an opaque pointer

enum { LRT_FLOAT32 = 1, LRT_UINT8 = 3, LRT_INT8 = 9 };  // LiteRtElementType
enum { LRT_MAX_RANK = 8, LRT_CPU = 1 };

typedef struct {  // LiteRtLayout: 7-bit rank + has-strides bit, dims, strides
    unsigned int rank : 7;
    bool has_strides : 1;
    int32_t dimensions[LRT_MAX_RANK];
    uint32_t strides[LRT_MAX_RANK];
} lrt_layout;

typedef struct {  // LiteRtRankedTensorType
    int element_type;
    lrt_layout layout;
} lrt_ranked_tensor_type;
_Static_assert(sizeof(lrt_ranked_tensor_type) == 72, "LiteRtRankedTensorType is 72 bytes");

typedef struct {  // LiteRtEnvOption: tag + LiteRtAny {type, 8-byte union}
    int tag;
    struct {
        int type;  // 2 = int
        union { int64_t int_value; const void *ptr_value; } value;
    } value;
} lrt_env_option;
_Static_assert(sizeof(lrt_env_option) == 24, "LiteRtEnvOption is 24 bytes");

enum { LRT_ENV_AUTO_REGISTER_ACCELERATORS = 24, LRT_ENV_MIN_LOGGER_SEVERITY = 25, LRT_LOG_WARNING = 2 };

static size_t lrt_element_size(int type) {
    switch (type) {
    case LRT_FLOAT32: return 4;
    case LRT_UINT8: case LRT_INT8: return 1;
    default: return 0;
    }
}

static size_t lrt_byte_count(const lrt_ranked_tensor_type *type) {
    size_t count = lrt_element_size(type->element_type);
    for (unsigned i = 0; i < type->layout.rank; i++) {
        if (type->layout.dimensions[i] < 0) fail("tensor has a dynamic dimension");
        count *= (size_t)type->layout.dimensions[i];
    }
    return count;
}

#define LRT_CHECK(call, what)                                  \
    do {                                                       \
        lrt_status status_ = (call);                           \
        if (status_ != 0) fail("LiteRT: %s failed (status %d)", what, status_); \
    } while (0)

static void free_payload(void *p) { free(p); }

static int run_litert(const char *lib, const char *model_path, const char *input_path, const char *output_path) {
    void *h = open_library(lib);
    lrt_status (*CreateEnvironment)(int, const lrt_env_option *, lrt_handle *) = symbol(h, "LiteRtCreateEnvironment");
    void (*DestroyEnvironment)(lrt_handle) = symbol(h, "LiteRtDestroyEnvironment");
    lrt_status (*CreateModelFromBuffer)(lrt_handle, const void *, size_t, lrt_handle *) = symbol(h, "LiteRtCreateModelFromBuffer");
    void (*DestroyModel)(lrt_handle) = symbol(h, "LiteRtDestroyModel");
    lrt_status (*GetModelSignature)(lrt_handle, size_t, lrt_handle *) = symbol(h, "LiteRtGetModelSignature");
    lrt_status (*GetSignatureInputTensorByIndex)(lrt_handle, size_t, lrt_handle *) = symbol(h, "LiteRtGetSignatureInputTensorByIndex");
    lrt_status (*GetSignatureOutputTensorByIndex)(lrt_handle, size_t, lrt_handle *) = symbol(h, "LiteRtGetSignatureOutputTensorByIndex");
    lrt_status (*GetRankedTensorType)(lrt_handle, lrt_ranked_tensor_type *) = symbol(h, "LiteRtGetRankedTensorType");
    lrt_status (*CreateOptions)(lrt_handle *) = symbol(h, "LiteRtCreateOptions");
    void (*DestroyOptions)(lrt_handle) = symbol(h, "LiteRtDestroyOptions");
    lrt_status (*SetOptionsHardwareAccelerators)(lrt_handle, int) = symbol(h, "LiteRtSetOptionsHardwareAccelerators");
    lrt_status (*CreateOpaqueOptions)(const char *, void *, void (*)(void *), lrt_handle *) = symbol(h, "LiteRtCreateOpaqueOptions");
    lrt_status (*AddOpaqueOptions)(lrt_handle, lrt_handle) = symbol(h, "LiteRtAddOpaqueOptions");
    lrt_status (*CreateCompiledModel)(lrt_handle, lrt_handle, lrt_handle, lrt_handle *) = symbol(h, "LiteRtCreateCompiledModel");
    void (*DestroyCompiledModel)(lrt_handle) = symbol(h, "LiteRtDestroyCompiledModel");
    lrt_status (*GetInputRequirements)(lrt_handle, size_t, size_t, lrt_handle *) = symbol(h, "LiteRtGetCompiledModelInputBufferRequirements");
    lrt_status (*GetOutputRequirements)(lrt_handle, size_t, size_t, lrt_handle *) = symbol(h, "LiteRtGetCompiledModelOutputBufferRequirements");
    lrt_status (*RequirementsBufferSize)(lrt_handle, size_t *) = symbol(h, "LiteRtGetTensorBufferRequirementsBufferSize");
    lrt_status (*CreateTensorBufferFromHostMemory)(const lrt_ranked_tensor_type *, void *, size_t, void (*)(void *), lrt_handle *) =
        symbol(h, "LiteRtCreateTensorBufferFromHostMemory");
    void (*DestroyTensorBuffer)(lrt_handle) = symbol(h, "LiteRtDestroyTensorBuffer");
    lrt_status (*RunCompiledModel)(lrt_handle, size_t, size_t, lrt_handle *, size_t, lrt_handle *) = symbol(h, "LiteRtRunCompiledModel");

    size_t model_size = 0, input_size = 0;
    void *model_bytes = read_file(model_path, &model_size);
    void *input_bytes = read_file(input_path, &input_size);

    lrt_env_option env_options[2];
    memset(env_options, 0, sizeof(env_options));
    env_options[0].tag = LRT_ENV_AUTO_REGISTER_ACCELERATORS;  // CPU only: no GPU/NPU probing
    env_options[0].value.type = 2;
    env_options[0].value.value.int_value = LRT_CPU;
    env_options[1].tag = LRT_ENV_MIN_LOGGER_SEVERITY;
    env_options[1].value.type = 2;
    env_options[1].value.value.int_value = LRT_LOG_WARNING;
    lrt_handle env = NULL, model = NULL, signature = NULL, options = NULL, xnnpack = NULL, compiled = NULL;
    LRT_CHECK(CreateEnvironment(2, env_options, &env), "CreateEnvironment");
    LRT_CHECK(CreateModelFromBuffer(env, model_bytes, model_size, &model), "loading the model");
    LRT_CHECK(GetModelSignature(model, 0, &signature), "GetModelSignature");

    lrt_handle input_tensor = NULL, output_tensor = NULL;
    lrt_ranked_tensor_type input_type, output_type;
    memset(&input_type, 0, sizeof(input_type));
    memset(&output_type, 0, sizeof(output_type));
    LRT_CHECK(GetSignatureInputTensorByIndex(signature, 0, &input_tensor), "input 0");
    LRT_CHECK(GetSignatureOutputTensorByIndex(signature, 0, &output_tensor), "output 0");
    LRT_CHECK(GetRankedTensorType(input_tensor, &input_type), "input 0's type");
    LRT_CHECK(GetRankedTensorType(output_tensor, &output_type), "output 0's type");
    if (lrt_element_size(input_type.element_type) == 0) fail("input 0 has an unsupported element type %d", input_type.element_type);
    if (output_type.element_type != LRT_UINT8 && output_type.element_type != LRT_FLOAT32)
        fail("output 0 is neither uint8 nor float32 (element type %d)", output_type.element_type);
    size_t input_bytes_needed = lrt_byte_count(&input_type), output_bytes = lrt_byte_count(&output_type);
    if (input_size != input_bytes_needed)
        fail("%s has %zu bytes; input 0 needs exactly %zu", input_path, input_size, input_bytes_needed);

    LRT_CHECK(CreateOptions(&options), "CreateOptions");
    LRT_CHECK(SetOptionsHardwareAccelerators(options, LRT_CPU), "SetOptionsHardwareAccelerators");
    char *payload = strdup("num_threads = 1\n");
    if (payload == NULL) fail("out of memory");
    LRT_CHECK(CreateOpaqueOptions("xnnpack", payload, free_payload, &xnnpack), "CreateOpaqueOptions");
    LRT_CHECK(AddOpaqueOptions(options, xnnpack), "AddOpaqueOptions");  // owned by the options now
    LRT_CHECK(CreateCompiledModel(env, model, options, &compiled), "compiling the model");

    lrt_handle requirements = NULL;
    size_t input_capacity = 0, output_capacity = 0;
    LRT_CHECK(GetInputRequirements(compiled, 0, 0, &requirements), "input buffer requirements");
    LRT_CHECK(RequirementsBufferSize(requirements, &input_capacity), "input buffer size");
    LRT_CHECK(GetOutputRequirements(compiled, 0, 0, &requirements), "output buffer requirements");
    LRT_CHECK(RequirementsBufferSize(requirements, &output_capacity), "output buffer size");
    if (input_capacity < input_bytes_needed) input_capacity = input_bytes_needed;
    if (output_capacity < output_bytes) output_capacity = output_bytes;
    void *input_memory = aligned_zeroed(input_capacity);
    void *output_memory = aligned_zeroed(output_capacity);
    memcpy(input_memory, input_bytes, input_size);

    lrt_handle input_buffer = NULL, output_buffer = NULL;
    LRT_CHECK(CreateTensorBufferFromHostMemory(&input_type, input_memory, input_capacity, NULL, &input_buffer), "input buffer");
    LRT_CHECK(CreateTensorBufferFromHostMemory(&output_type, output_memory, output_capacity, NULL, &output_buffer), "output buffer");
    LRT_CHECK(RunCompiledModel(compiled, 0, 1, &input_buffer, 1, &output_buffer), "running the model");

    write_file(output_path, output_memory, output_bytes);
    if (output_type.element_type == LRT_UINT8) print_top1_u8(output_memory, output_bytes);
    else print_top1_f32(output_memory, output_bytes / 4);

    // Destroy order: buffers, compiled model, options, model, environment.
    DestroyTensorBuffer(input_buffer);
    DestroyTensorBuffer(output_buffer);
    DestroyCompiledModel(compiled);
    DestroyOptions(options);
    DestroyModel(model);
    DestroyEnvironment(env);
    free(input_memory);
    free(output_memory);
    free(input_bytes);
    free(model_bytes);
    return 0;  // the library stays loaded: LiteRT cannot be unloaded safely
}

// ---------------------------------------------------------------------------
// ONNX Runtime (OrtGetApiBase → OrtApi, read by slot index)

typedef struct ort_opaque ort_object;  // OrtEnv, OrtSession, OrtValue, OrtStatus, ...: opaque
typedef ort_object *ort_status;        // NULL = success

typedef struct {  // OrtApiBase
    const void *(*GetApi)(uint32_t version);
    const char *(*GetVersionString)(void);
} ort_api_base;

enum { ORT_API_VERSION = 15 };  // covers every slot below; 1.31.1 offers up to 31
enum { ORT_FLOAT = 1 };          // ONNXTensorElementDataType
enum { ORT_LOG_WARNING = 2, ORT_ARENA_ALLOCATOR = 1, ORT_MEM_DEFAULT = 0 };

// Slot numbers in OrtApi (0-based; the table only grows at its end).
enum {
    SLOT_GET_ERROR_MESSAGE = 2,
    SLOT_CREATE_ENV = 3,
    SLOT_CREATE_SESSION = 7,
    SLOT_RUN = 9,
    SLOT_CREATE_SESSION_OPTIONS = 10,
    SLOT_SET_INTRA_OP_NUM_THREADS = 24,
    SLOT_SET_INTER_OP_NUM_THREADS = 25,
    SLOT_SESSION_GET_INPUT_NAME = 36,
    SLOT_SESSION_GET_OUTPUT_NAME = 37,
    SLOT_CREATE_TENSOR_WITH_DATA = 49,
    SLOT_GET_TENSOR_MUTABLE_DATA = 51,
    SLOT_GET_TENSOR_ELEMENT_TYPE = 60,
    SLOT_GET_TENSOR_SHAPE_ELEMENT_COUNT = 64,
    SLOT_GET_TENSOR_TYPE_AND_SHAPE = 65,
    SLOT_CREATE_CPU_MEMORY_INFO = 69,
    SLOT_ALLOCATOR_FREE = 76,
    SLOT_GET_ALLOCATOR_WITH_DEFAULT_OPTIONS = 78,
    SLOT_RELEASE_ENV = 92,
    SLOT_RELEASE_STATUS = 93,
    SLOT_RELEASE_MEMORY_INFO = 94,
    SLOT_RELEASE_SESSION = 95,
    SLOT_RELEASE_VALUE = 96,
    SLOT_RELEASE_TENSOR_TYPE_AND_SHAPE_INFO = 99,
    SLOT_RELEASE_SESSION_OPTIONS = 100,
};

static void *const *ort_table;
#define ORT_FN(type, slot) ((type)ort_table[slot])

static void ort_check(ort_status status, const char *what) {
    if (status == NULL) return;
    const char *message = ORT_FN(const char *(*)(const ort_object *), SLOT_GET_ERROR_MESSAGE)(status);
    char copy[512];
    snprintf(copy, sizeof(copy), "%s", message ? message : "unknown error");
    ORT_FN(void (*)(ort_object *), SLOT_RELEASE_STATUS)(status);
    for (char *p = copy; *p; p++)
        if (*p == '\n') *p = ' ';
    fail("ONNX Runtime: %s: %s", what, copy);
}

static int64_t *parse_shape(const char *text, size_t *rank, size_t *elements) {
    int64_t *dims = calloc(strlen(text) + 1, sizeof(int64_t));
    if (dims == NULL) fail("out of memory");
    size_t n = 0, total = 1;
    const char *p = text;
    while (*p) {
        char *end = NULL;
        errno = 0;
        long long value = strtoll(p, &end, 10);
        if (end == p || errno != 0 || value <= 0 || value > (1LL << 31)) fail("bad shape '%s' (expected D0,D1,... with positive integers)", text);
        dims[n++] = value;
        total *= (size_t)value;
        if (*end == ',') end++;
        else if (*end != '\0') fail("bad shape '%s' (expected D0,D1,... with positive integers)", text);
        p = end;
    }
    if (n == 0) fail("bad shape '%s' (expected D0,D1,...)", text);
    *rank = n;
    *elements = total;
    return dims;
}

static int run_onnxruntime(const char *lib, const char *model_path, const char *input_path, const char *output_path,
                           const char *shape_text) {
    size_t rank = 0, elements = 0;
    int64_t *shape = parse_shape(shape_text, &rank, &elements);
    void *h = open_library(lib);
    const ort_api_base *(*get_api_base)(void) = symbol(h, "OrtGetApiBase");
    const ort_api_base *base = get_api_base();
    if (base == NULL || base->GetApi == NULL) fail("OrtGetApiBase returned nothing");
    ort_table = base->GetApi(ORT_API_VERSION);
    if (ort_table == NULL) fail("ONNX Runtime %s does not offer API version %d", base->GetVersionString(), ORT_API_VERSION);

    size_t input_size = 0;
    void *input = read_file(input_path, &input_size);
    if (input_size != elements * sizeof(float))
        fail("%s has %zu bytes; a float32 tensor of shape %s needs exactly %zu", input_path, input_size, shape_text,
             elements * sizeof(float));

    ort_object *env = NULL, *options = NULL, *session = NULL, *memory = NULL, *allocator = NULL;
    ort_check(ORT_FN(ort_status (*)(int, const char *, ort_object **), SLOT_CREATE_ENV)(ORT_LOG_WARNING, "ledge-runtime-check", &env), "CreateEnv");
    ort_check(ORT_FN(ort_status (*)(ort_object **), SLOT_CREATE_SESSION_OPTIONS)(&options), "CreateSessionOptions");
    ort_check(ORT_FN(ort_status (*)(ort_object *, int), SLOT_SET_INTRA_OP_NUM_THREADS)(options, 1), "SetIntraOpNumThreads");
    ort_check(ORT_FN(ort_status (*)(ort_object *, int), SLOT_SET_INTER_OP_NUM_THREADS)(options, 1), "SetInterOpNumThreads");
    ort_check(ORT_FN(ort_status (*)(const ort_object *, const char *, const ort_object *, ort_object **), SLOT_CREATE_SESSION)(
                  env, model_path, options, &session), "loading the model");
    ort_check(ORT_FN(ort_status (*)(ort_object **), SLOT_GET_ALLOCATOR_WITH_DEFAULT_OPTIONS)(&allocator), "GetAllocatorWithDefaultOptions");
    char *input_name = NULL, *output_name = NULL;
    ort_check(ORT_FN(ort_status (*)(const ort_object *, size_t, ort_object *, char **), SLOT_SESSION_GET_INPUT_NAME)(
                  session, 0, allocator, &input_name), "input 0's name");
    ort_check(ORT_FN(ort_status (*)(const ort_object *, size_t, ort_object *, char **), SLOT_SESSION_GET_OUTPUT_NAME)(
                  session, 0, allocator, &output_name), "output 0's name");

    ort_check(ORT_FN(ort_status (*)(int, int, ort_object **), SLOT_CREATE_CPU_MEMORY_INFO)(ORT_ARENA_ALLOCATOR, ORT_MEM_DEFAULT, &memory),
              "CreateCpuMemoryInfo");
    ort_object *input_value = NULL, *output_value = NULL;
    ort_check(ORT_FN(ort_status (*)(const ort_object *, void *, size_t, const int64_t *, size_t, int, ort_object **),
                     SLOT_CREATE_TENSOR_WITH_DATA)(memory, input, input_size, shape, rank, ORT_FLOAT, &input_value),
              "creating the input tensor");
    const char *input_names[1] = {input_name}, *output_names[1] = {output_name};
    const ort_object *inputs[1] = {input_value};
    ort_check(ORT_FN(ort_status (*)(ort_object *, const ort_object *, const char *const *, const ort_object *const *, size_t,
                                    const char *const *, size_t, ort_object **), SLOT_RUN)(
                  session, NULL, input_names, inputs, 1, output_names, 1, &output_value),
              "running the model");

    ort_object *info = NULL;
    int element_type = 0;
    size_t count = 0;
    ort_check(ORT_FN(ort_status (*)(const ort_object *, ort_object **), SLOT_GET_TENSOR_TYPE_AND_SHAPE)(output_value, &info), "output 0's shape");
    ort_check(ORT_FN(ort_status (*)(const ort_object *, int *), SLOT_GET_TENSOR_ELEMENT_TYPE)(info, &element_type), "output 0's type");
    ort_check(ORT_FN(ort_status (*)(const ort_object *, size_t *), SLOT_GET_TENSOR_SHAPE_ELEMENT_COUNT)(info, &count), "output 0's size");
    ORT_FN(void (*)(ort_object *), SLOT_RELEASE_TENSOR_TYPE_AND_SHAPE_INFO)(info);
    if (element_type != ORT_FLOAT) fail("output 0 is not float32 (element type %d)", element_type);
    float *output = NULL;
    ort_check(ORT_FN(ort_status (*)(ort_object *, void **), SLOT_GET_TENSOR_MUTABLE_DATA)(output_value, (void **)&output), "output 0's data");
    write_file(output_path, output, count * sizeof(float));
    print_top1_f32(output, count);

    ORT_FN(void (*)(ort_object *), SLOT_RELEASE_VALUE)(output_value);
    ORT_FN(void (*)(ort_object *), SLOT_RELEASE_VALUE)(input_value);  // before its buffer is freed
    ORT_FN(void (*)(ort_object *), SLOT_RELEASE_MEMORY_INFO)(memory);
    ORT_FN(ort_status (*)(ort_object *, void *), SLOT_ALLOCATOR_FREE)(allocator, input_name);
    ORT_FN(ort_status (*)(ort_object *, void *), SLOT_ALLOCATOR_FREE)(allocator, output_name);
    ORT_FN(void (*)(ort_object *), SLOT_RELEASE_SESSION)(session);
    ORT_FN(void (*)(ort_object *), SLOT_RELEASE_SESSION_OPTIONS)(options);
    ORT_FN(void (*)(ort_object *), SLOT_RELEASE_ENV)(env);
    free(input);
    free(shape);
    return 0;
}

static void usage(void) {
    fail("usage: ledge-runtime-check litert LIB MODEL INPUT.raw OUTPUT.raw | "
         "onnxruntime LIB MODEL INPUT.raw OUTPUT.raw D0,D1,... | --version");
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("ledge-runtime-check " VERSION "\n");
        return 0;
    }
    if (argc == 6 && strcmp(argv[1], "litert") == 0) return run_litert(argv[2], argv[3], argv[4], argv[5]);
    if (argc == 7 && strcmp(argv[1], "onnxruntime") == 0) return run_onnxruntime(argv[2], argv[3], argv[4], argv[5], argv[6]);
    usage();
    return 3;
}
