use std::ffi::c_void;
use std::panic::AssertUnwindSafe;
use std::ptr;

use napi::{check_status, sys, Env, Error, JsError, Result, Status};

/// What a bound function does with its state and the raw values of its first `ARGS` arguments
/// (missing ones are `undefined`).
pub type Call<S, const ARGS: usize> =
    fn(&S, sys::napi_env, [sys::napi_value; ARGS]) -> Result<sys::napi_value>;

struct Bound<S, const ARGS: usize> {
    state: S,
    call: Call<S, ARGS>,
}

/// A JS function that owns `state` and hands each call to `call`.
///
/// napi-rs's closures allocate an argument vector on every call and read strings into heap
/// buffers; this reads the arguments into an array on the stack, and `call` can read strings
/// into stack buffers too. For the token functions, called up to a million times a second, that
/// made a verify call 711 ns instead of ~800 ns (both variants timed in one process). A panic in
/// `call` becomes a JS exception, never an abort.
pub fn bind<S: 'static, const ARGS: usize>(
    env: &Env,
    name: &str,
    state: S,
    call: Call<S, ARGS>,
) -> Result<sys::napi_value> {
    let bound = Box::into_raw(Box::new(Bound { state, call }));
    let mut function = ptr::null_mut();
    // SAFETY: `env` is the live env of the current call; `name` is valid UTF-8 of the length
    // given (napi copies it); `trampoline` matches napi_callback; `bound` stays allocated until
    // `release` (or the error path below) frees it; `function` is a valid out-pointer.
    let created = check_status!(unsafe {
        sys::napi_create_function(
            env.raw(),
            name.as_ptr().cast(),
            name.len() as isize,
            Some(trampoline::<S, ARGS>),
            bound.cast(),
            &mut function,
        )
    })
    .and_then(|_| {
        // SAFETY: `function` was just created in this env; the finalizer takes ownership of
        // `bound` and `release` frees it exactly once, when the function is collected.
        check_status!(unsafe {
            sys::napi_add_finalizer(
                env.raw(),
                function,
                bound.cast(),
                Some(release::<S, ARGS>),
                ptr::null_mut(),
                ptr::null_mut(),
            )
        })
    });
    if let Err(error) = created {
        // No finalizer owns the state: free it here.
        // SAFETY: `bound` came from Box::into_raw above and no finalizer was registered for it;
        // a function created before the failure is never returned, so no JS code can call it.
        drop(unsafe { Box::from_raw(bound) });
        return Err(error);
    }
    Ok(function)
}

unsafe extern "C" fn trampoline<S, const ARGS: usize>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let mut argc = ARGS;
        let mut args = [ptr::null_mut(); ARGS];
        let mut data = ptr::null_mut();
        // SAFETY: napi calls this with a live `env` and `info`; `args` holds `argc` (= ARGS)
        // values, so napi writes no more than it has room for.
        check_status!(unsafe {
            sys::napi_get_cb_info(
                env,
                info,
                &mut argc,
                args.as_mut_ptr(),
                ptr::null_mut(),
                &mut data,
            )
        })?;
        // napi_get_cb_info fills missing arguments with `undefined`.
        // SAFETY: `data` is the `Bound<S, ARGS>` this function was created with in `bind`; it is
        // freed only by `release`, after the function is collected, so it outlives this call.
        // Only shared references are made: JS calls run on one thread, and state mutated through
        // `&S` must use interior mutability (as `Cell` does).
        let bound = unsafe { &*data.cast::<Bound<S, ARGS>>() };
        (bound.call)(&bound.state, env, args)
    }))
    .unwrap_or_else(|_| {
        Err(Error::new(
            Status::GenericFailure,
            "anycable-rs: internal panic",
        ))
    });
    result.unwrap_or_else(|error| {
        // SAFETY: `env` is the live env of this callback, and no exception is pending: the
        // call returned an error instead of throwing.
        unsafe { JsError::from(error).throw_into(env) };
        ptr::null_mut()
    })
}

unsafe extern "C" fn release<S, const ARGS: usize>(
    _env: sys::napi_env,
    data: *mut c_void,
    _hint: *mut c_void,
) {
    // SAFETY: `data` is the Box::into_raw pointer `bind` registered this finalizer with; napi
    // runs a finalizer once, so it is freed exactly once.
    drop(unsafe { Box::from_raw(data.cast::<Bound<S, ARGS>>()) });
}
