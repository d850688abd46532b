// The dlopen loader for LiteRT: resolves the functions declared in CLiteRT.h
// and wraps the few calls whose arguments are awkward to build from Swift
// (tagged unions, C-owned option payloads, bit-fields).
#include "CLiteRT.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEDGE_RESOLVE(field, symbol)                                                        \
    do {                                                                                    \
        *(void **)(&api->field) = dlsym(handle, symbol);                                    \
        if (api->field == NULL) {                                                           \
            snprintf(errbuf, errlen, "not a LiteRT library (symbol %s is missing)", symbol); \
            free(api);                                                                      \
            dlclose(handle);                                                                \
            return NULL;                                                                    \
        }                                                                                   \
    } while (0)

const ledge_litert_api *ledge_litert_load(const char *path, char *errbuf, size_t errlen) {
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *reason = dlerror();
        snprintf(errbuf, errlen, "%s", reason ? reason : "dlopen failed");
        return NULL;
    }
    ledge_litert_api *api = calloc(1, sizeof(ledge_litert_api));
    if (api == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        dlclose(handle);
        return NULL;
    }
    api->handle = handle;
    LEDGE_RESOLVE(CreateEnvironment, "LiteRtCreateEnvironment");
    LEDGE_RESOLVE(DestroyEnvironment, "LiteRtDestroyEnvironment");
    LEDGE_RESOLVE(CreateModelFromBuffer, "LiteRtCreateModelFromBuffer");
    LEDGE_RESOLVE(DestroyModel, "LiteRtDestroyModel");
    LEDGE_RESOLVE(GetNumModelSignatures, "LiteRtGetNumModelSignatures");
    LEDGE_RESOLVE(GetModelSignature, "LiteRtGetModelSignature");
    LEDGE_RESOLVE(GetSignatureKey, "LiteRtGetSignatureKey");
    LEDGE_RESOLVE(GetNumSignatureInputs, "LiteRtGetNumSignatureInputs");
    LEDGE_RESOLVE(GetNumSignatureOutputs, "LiteRtGetNumSignatureOutputs");
    LEDGE_RESOLVE(GetSignatureInputName, "LiteRtGetSignatureInputName");
    LEDGE_RESOLVE(GetSignatureOutputName, "LiteRtGetSignatureOutputName");
    LEDGE_RESOLVE(GetSignatureInputTensorByIndex, "LiteRtGetSignatureInputTensorByIndex");
    LEDGE_RESOLVE(GetSignatureOutputTensorByIndex, "LiteRtGetSignatureOutputTensorByIndex");
    LEDGE_RESOLVE(GetRankedTensorType, "LiteRtGetRankedTensorType");
    LEDGE_RESOLVE(GetQuantizationTypeId, "LiteRtGetQuantizationTypeId");
    LEDGE_RESOLVE(GetPerTensorQuantization, "LiteRtGetPerTensorQuantization");
    LEDGE_RESOLVE(CreateOptions, "LiteRtCreateOptions");
    LEDGE_RESOLVE(DestroyOptions, "LiteRtDestroyOptions");
    LEDGE_RESOLVE(SetOptionsHardwareAccelerators, "LiteRtSetOptionsHardwareAccelerators");
    LEDGE_RESOLVE(CreateOpaqueOptions, "LiteRtCreateOpaqueOptions");
    LEDGE_RESOLVE(DestroyOpaqueOptions, "LiteRtDestroyOpaqueOptions");
    LEDGE_RESOLVE(AddOpaqueOptions, "LiteRtAddOpaqueOptions");
    LEDGE_RESOLVE(CreateCompiledModel, "LiteRtCreateCompiledModel");
    LEDGE_RESOLVE(DestroyCompiledModel, "LiteRtDestroyCompiledModel");
    LEDGE_RESOLVE(GetCompiledModelInputBufferRequirements, "LiteRtGetCompiledModelInputBufferRequirements");
    LEDGE_RESOLVE(GetCompiledModelOutputBufferRequirements, "LiteRtGetCompiledModelOutputBufferRequirements");
    LEDGE_RESOLVE(GetTensorBufferRequirementsBufferSize, "LiteRtGetTensorBufferRequirementsBufferSize");
    LEDGE_RESOLVE(GetCompiledModelOutputTensorLayouts, "LiteRtGetCompiledModelOutputTensorLayouts");
    LEDGE_RESOLVE(CompiledModelResizeInputTensor, "LiteRtCompiledModelResizeInputTensor");
    LEDGE_RESOLVE(CreateTensorBufferFromHostMemory, "LiteRtCreateTensorBufferFromHostMemory");
    LEDGE_RESOLVE(DestroyTensorBuffer, "LiteRtDestroyTensorBuffer");
    LEDGE_RESOLVE(RunCompiledModel, "LiteRtRunCompiledModel");
    return api;
}

void ledge_litert_unload(const ledge_litert_api *api) {
    // The table is ours to free; the library handle is deliberately not closed:
    // LiteRT registers thread-local destructors when it loads, and a thread that
    // exits after dlclose jumps into unmapped code (SIGSEGV, seen in our tests).
    // dlopen counts references, so loading the same path again maps nothing new.
    free((void *)api);
}

const char *ledge_litert_status_text(ledge_litert_status status) {
    switch (status) {
    case 0: return "ok";
    case 1: return "invalid argument";
    case 2: return "memory allocation failure";
    case 3: return "runtime failure";
    case 4: return "missing input tensor";
    case 5: return "unsupported";
    case 6: return "not found";
    case 7: return "timeout expired";
    case 8: return "wrong version";
    case 9: return "unknown error";
    case 10: return "already exists";
    case 100: return "cancelled";
    case 500: return "file I/O error";
    case 501: return "invalid flatbuffer";
    case 502: return "dynamic loading error";
    case 503: return "serialization error";
    case 504: return "compilation error";
    case 1000: return "index out of bounds";
    case 1001: return "invalid IR type";
    case 1002: return "invalid graph invariant";
    case 1003: return "graph modification error";
    case 1500: return "invalid tool config";
    case 2000: return "legalization: no match";
    case 2001: return "invalid legalization";
    case 3000: return "pattern: no match";
    case 3001: return "invalid transformation";
    case 4000: return "unsupported runtime version";
    case 4001: return "unsupported compiler version";
    case 4002: return "incompatible byte code version";
    case 5000: return "unsupported op shape inferer";
    case 5001: return "shape inference failed";
    default: return "unknown status";
    }
}

ledge_litert_status ledge_litert_create_cpu_environment(const ledge_litert_api *api, ledge_litert_environment *out) {
    ledge_litert_env_option options[2];
    memset(options, 0, sizeof(options));
    options[0].tag = LEDGE_LITERT_ENV_AUTO_REGISTER_ACCELERATORS;
    options[0].value.type = 2;  // kLiteRtAnyTypeInt
    options[0].value.value.int_value = LEDGE_LITERT_ACCELERATOR_CPU;
    options[1].tag = LEDGE_LITERT_ENV_MIN_LOGGER_SEVERITY;
    options[1].value.type = 2;
    options[1].value.value.int_value = LEDGE_LITERT_LOG_WARNING;
    return api->CreateEnvironment(2, options, out);
}

static void ledge_litert_free_payload(void *payload) { free(payload); }

ledge_litert_status ledge_litert_create_cpu_options(const ledge_litert_api *api, int threads, const char *weight_cache,
                                                    ledge_litert_options *out) {
    ledge_litert_options options = NULL;
    ledge_litert_status status = api->CreateOptions(&options);
    if (status != LEDGE_LITERT_OK) return status;
    status = api->SetOptionsHardwareAccelerators(options, LEDGE_LITERT_ACCELERATOR_CPU);
    if (status != LEDGE_LITERT_OK) {
        api->DestroyOptions(options);
        return status;
    }
    // XNNPACK's settings as TOML text. A weight cache path is a TOML basic string: the caller
    // passes none holding a quote, a backslash or a control character.
    const char *format = weight_cache != NULL ? "num_threads = %d\nweight_cache_file_path = \"%s\"\n" : "num_threads = %d\n";
    size_t length = 64 + (weight_cache != NULL ? strlen(weight_cache) : 0);
    char *payload = malloc(length);
    if (payload != NULL) snprintf(payload, length, format, threads < 1 ? 1 : threads, weight_cache);
    if (payload == NULL) {
        api->DestroyOptions(options);
        return 2;
    }
    ledge_litert_opaque_options opaque = NULL;
    status = api->CreateOpaqueOptions("xnnpack", payload, ledge_litert_free_payload, &opaque);
    if (status != LEDGE_LITERT_OK) {
        free(payload);
        api->DestroyOptions(options);
        return status;
    }
    status = api->AddOpaqueOptions(options, opaque);  // the options own `opaque` now
    if (status != LEDGE_LITERT_OK) {
        api->DestroyOpaqueOptions(opaque);
        api->DestroyOptions(options);
        return status;
    }
    *out = options;
    return LEDGE_LITERT_OK;
}

ledge_litert_status ledge_litert_output_shapes(const ledge_litert_api *api, ledge_litert_compiled_model compiled,
                                               size_t count, int32_t *dims, int32_t *ranks) {
    ledge_litert_layout *layouts = calloc(count ? count : 1, sizeof(ledge_litert_layout));
    if (layouts == NULL) return 2;
    ledge_litert_status status = api->GetCompiledModelOutputTensorLayouts(compiled, 0, count, layouts, true);
    if (status == LEDGE_LITERT_OK) {
        for (size_t i = 0; i < count; i++) {
            ranks[i] = (int32_t)layouts[i].rank;
            for (int d = 0; d < LEDGE_LITERT_MAX_RANK; d++) dims[i * LEDGE_LITERT_MAX_RANK + d] = layouts[i].dimensions[d];
        }
    }
    free(layouts);
    return status;
}

int ledge_litert_layout_rank(const ledge_litert_ranked_tensor_type *type) { return (int)type->layout.rank; }

void ledge_litert_layout_set(ledge_litert_ranked_tensor_type *type, const int32_t *dims, int rank) {
    memset(&type->layout, 0, sizeof(type->layout));
    if (rank < 0) rank = 0;
    if (rank > LEDGE_LITERT_MAX_RANK) rank = LEDGE_LITERT_MAX_RANK;
    type->layout.rank = (unsigned int)rank;
    for (int i = 0; i < rank; i++) type->layout.dimensions[i] = dims[i];
}
