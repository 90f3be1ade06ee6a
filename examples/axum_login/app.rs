//! The axum-login example's app, shared with `tests/integration/axum_login.rs`: an app that
//! already authenticates with axum-login (a password login, `login_required!`, a permission
//! check) adds "Log in with LINE" through [`LineBackend`]. A LINE login signs in the app user
//! linked to that LINE user (link one while signed in with the password: `POST /auth/line/link`).

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_login::{
    AuthManagerLayerBuilder, AuthSession, AuthUser, AuthnBackend, AuthzBackend, UserId,
    login_required, permission_required,
};
use line_login::axum_backend::{Credentials, LineBackend, LineLogin};
use line_login::link::{MemberInSession, MemoryLinks};
use line_login::{Config, LineLoginLayer, LineUser};
use serde::Deserialize;
use subtle::ConstantTimeEq as _;
use tower_sessions::{MemoryStore, Session};

/// Where the layer's member links find the member signed in with the password.
const MEMBER_SESSION_KEY: &str = "member_id";

/// One of the app's users.
#[derive(Clone, Debug)]
pub struct User {
    /// The app's user ID (also the member ID of LINE links).
    pub id: String,
    /// A stand-in for a password hash (a real app stores an Argon2 hash).
    password: String,
    /// What the user may do, e.g. `admin`.
    pub permissions: HashSet<String>,
}

impl AuthUser for User {
    type Id = String;
    fn id(&self) -> String {
        self.id.clone()
    }
    fn session_auth_hash(&self) -> &[u8] {
        self.password.as_bytes()
    }
}

/// The app's own axum-login backend: users with a password.
#[derive(Clone, Debug)]
pub struct Users(Arc<HashMap<String, User>>);

impl Users {
    /// `alice` (password `alice-pw`, admin) and `bob` (password `bob-pw`).
    pub fn demo() -> Self {
        let user = |id: &str, permissions: &[&str]| User {
            id: id.to_owned(),
            password: format!("{id}-pw"),
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
        };
        let users = [user("alice", &["admin"]), user("bob", &[])];
        Self(Arc::new(
            users.into_iter().map(|u| (u.id.clone(), u)).collect(),
        ))
    }
}

/// The password form.
#[derive(Clone, Debug, Deserialize)]
pub struct Password {
    /// The user ID.
    pub username: String,
    /// The password.
    pub password: String,
}

impl AuthnBackend for Users {
    type User = User;
    type Credentials = Password;
    type Error = Infallible;

    async fn authenticate(&self, form: Password) -> Result<Option<User>, Infallible> {
        Ok(self
            .0
            .get(&form.username)
            .filter(|user| bool::from(user.password.as_bytes().ct_eq(form.password.as_bytes())))
            .cloned())
    }

    async fn get_user(&self, id: &UserId<Self>) -> Result<Option<User>, Infallible> {
        Ok(self.0.get(id).cloned())
    }
}

impl AuthzBackend for Users {
    type Permission = String;

    async fn get_user_permissions(&self, user: &User) -> Result<HashSet<String>, Infallible> {
        Ok(user.permissions.clone())
    }
}

/// The app's backend with LINE logins beside the password.
pub type Backend = LineBackend<Users, MemoryLinks<String>>;
type Auth = AuthSession<Backend>;

/// The whole app: its pages, the LINE login layer (with member links) and axum-login.
pub fn app(config: &Config, links: MemoryLinks<String>) -> Result<Router, line_login::ApiError> {
    let line = LineLoginLayer::new(config.clone())?
        .member_links(links.clone(), MemberInSession(MEMBER_SESSION_KEY));
    let sessions = line_login::session::session_layer(MemoryStore::default(), config);
    let auth =
        AuthManagerLayerBuilder::new(LineBackend::new(Users::demo(), links), sessions).build();
    Ok(Router::new()
        .route("/admin", get(|| async { "admin area" }))
        .route_layer(permission_required!(Backend, "admin"))
        .route("/account", get(account))
        .route_layer(login_required!(Backend))
        .route("/", get(home))
        .route("/login/password", post(password_login))
        .route(
            "/login/line",
            get(|| async { Redirect::to("/auth/line/login?return_to=/login/line/done") }),
        )
        .route("/login/line/done", get(line_login_done))
        .route("/logout", post(logout))
        .layer(line)
        .layer(auth))
}

async fn home(auth: Auth) -> String {
    match auth.user {
        Some(user) => format!("signed in as {}", user.id),
        None => "anonymous: POST /login/password or GET /login/line".to_owned(),
    }
}

async fn account(auth: Auth) -> String {
    auth.user
        .map(|user| format!("account of {}", user.id))
        .unwrap_or_default()
}

async fn password_login(mut auth: Auth, session: Session, Form(form): Form<Password>) -> Response {
    match auth.authenticate(Credentials::App(form)).await {
        Ok(Some(user)) => sign_in(&mut auth, &session, &user).await,
        Ok(None) => StatusCode::UNAUTHORIZED.into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// The layer's `return_to` after a LINE login: the [`LineUser`] it verified is the credential.
async fn line_login_done(mut auth: Auth, session: Session, line_user: LineUser) -> Response {
    match auth
        .authenticate(Credentials::Line(LineLogin::from(&line_user)))
        .await
    {
        Ok(Some(user)) => sign_in(&mut auth, &session, &user).await,
        Ok(None) => (
            StatusCode::FORBIDDEN,
            "this LINE account is not linked: sign in with your password and link it",
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// axum-login's login, plus the member the layer's link route reads.
async fn sign_in(auth: &mut Auth, session: &Session, user: &User) -> Response {
    if auth.login(user).await.is_err()
        || session.insert(MEMBER_SESSION_KEY, &user.id).await.is_err()
    {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    Redirect::to("/account").into_response()
}

async fn logout(mut auth: Auth) -> Response {
    match auth.logout().await {
        Ok(_) => Redirect::to("/").into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
