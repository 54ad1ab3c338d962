//! Diesel table definitions. Platform tables are qualified with `public`; tenant tables are not,
//! so they resolve only through a [`TenantConn`](super::TenantConn)'s pinned `search_path`.

pub mod platform {
    diesel::table! {
        public.tenants (slug) {
            slug -> Text,
            settings -> Jsonb,
            logo -> Bytea,
            logo_content_type -> Text,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
            customer_ca_pem -> Nullable<Text>,
            customer_crl_pem -> Nullable<Text>,
        }
    }

    diesel::table! {
        public.platform_keys (name) {
            name -> Text,
            key -> Bytea,
            created_at -> Timestamptz,
            sealed_by -> Nullable<Text>,
        }
    }
}

pub mod tenant {
    diesel::table! {
        customers (id) {
            id -> Uuid,
            login_id -> Text,
            password_hash -> Text,
            email -> Text,
            locale -> Text,
            name -> Text,
            name_kana -> Text,
            failed_logins -> Int4,
            locked_at -> Nullable<Timestamptz>,
            created_at -> Timestamptz,
            status -> Text,
            bank_customer_id -> Nullable<Text>,
        }
    }

    diesel::table! {
        accounts (account_id) {
            account_id -> Text,
            customer_id -> Uuid,
            branch_code -> Text,
            branch_name -> Text,
            account_type_code -> Text,
            account_type_name -> Text,
            account_number -> Text,
            account_name -> Text,
            account_name_kana -> Text,
            currency_code -> Text,
            balance -> Int8,
            opened_on -> Date,
            created_at -> Timestamptz,
            last_transaction_date -> Nullable<Date>,
            last_transaction_balance -> Nullable<Int8>,
            balance_before_day -> Nullable<Int8>,
            balance_before_month -> Nullable<Int8>,
            imported_through -> Nullable<Date>,
        }
    }

    diesel::table! {
        transactions (id) {
            id -> Int8,
            account_id -> Text,
            transaction_date -> Date,
            value_date -> Date,
            transaction_type -> Int2,
            amount -> Int8,
            remarks -> Text,
            balance -> Int8,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        audit_log (id) {
            id -> Int8,
            at -> Timestamptz,
            event -> Text,
            actor -> Text,
            subject -> Nullable<Text>,
            ip -> Nullable<Text>,
            detail -> Jsonb,
        }
    }

    diesel::table! {
        partners (id) {
            id -> Uuid,
            client_id -> Text,
            client_secret_hash -> Nullable<Bytea>,
            name_ja -> Text,
            name_en -> Text,
            redirect_uris -> Array<Text>,
            scopes -> Array<Text>,
            auth_method -> Text,
            cert_subject -> Nullable<Text>,
            cert_subject_next -> Nullable<Text>,
            par_required -> Bool,
            status -> Text,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        auth_requests (handle_hash) {
            handle_hash -> Bytea,
            partner_id -> Uuid,
            redirect_uri -> Text,
            scopes -> Array<Text>,
            state -> Text,
            code_challenge -> Text,
            csrf_token -> Text,
            stage -> Text,
            customer_id -> Nullable<Uuid>,
            created_at -> Timestamptz,
            expires_at -> Timestamptz,
        }
    }

    diesel::table! {
        login_guard (login_id) {
            login_id -> Text,
            failures -> Int4,
            locked_at -> Nullable<Timestamptz>,
            last_failure_at -> Nullable<Timestamptz>,
        }
    }

    diesel::table! {
        grants (id) {
            id -> Uuid,
            customer_id -> Uuid,
            partner_id -> Uuid,
            scopes -> Array<Text>,
            created_at -> Timestamptz,
            expires_at -> Timestamptz,
            revoked_at -> Nullable<Timestamptz>,
            revoked_reason -> Nullable<Text>,
            terms_version -> Text,
            consent_text_hash -> Nullable<Bytea>,
            held -> Bool,
        }
    }

    diesel::table! {
        admins (id) {
            id -> Uuid,
            email -> Text,
            password_hash -> Text,
            role -> Text,
            totp_secret -> Nullable<Bytea>,
            totp_last_step -> Nullable<Int8>,
            failed_logins -> Int4,
            locked_at -> Nullable<Timestamptz>,
            created_at -> Timestamptz,
            last_login_at -> Nullable<Timestamptz>,
        }
    }

    diesel::table! {
        web_sessions (token_hash) {
            token_hash -> Bytea,
            kind -> Text,
            principal -> Uuid,
            stage -> Text,
            csrf_token -> Text,
            created_at -> Timestamptz,
            last_seen_at -> Timestamptz,
            revoked_at -> Nullable<Timestamptz>,
        }
    }

    diesel::table! {
        grant_accounts (grant_id, account_id) {
            grant_id -> Uuid,
            account_id -> Text,
        }
    }

    diesel::table! {
        auth_codes (code_hash) {
            code_hash -> Bytea,
            grant_id -> Uuid,
            redirect_uri -> Text,
            code_challenge -> Text,
            created_at -> Timestamptz,
            expires_at -> Timestamptz,
            used_at -> Nullable<Timestamptz>,
        }
    }

    diesel::table! {
        tokens (token_hash) {
            token_hash -> Bytea,
            grant_id -> Uuid,
            kind -> Text,
            created_at -> Timestamptz,
            expires_at -> Timestamptz,
            rotated_at -> Nullable<Timestamptz>,
            cnf_x5t_s256 -> Nullable<Bytea>,
            scopes -> Nullable<Array<Text>>,
            rotated_from -> Nullable<Bytea>,
        }
    }

    diesel::table! {
        customer_certificates (fingerprint) {
            fingerprint -> Bytea,
            customer_id -> Uuid,
            subject -> Text,
            issuer -> Text,
            serial -> Text,
            not_before -> Timestamptz,
            not_after -> Timestamptz,
            created_at -> Timestamptz,
            revoked_at -> Nullable<Timestamptz>,
        }
    }

    diesel::table! {
        access_ledger (id) {
            id -> Int8,
            at -> Timestamptz,
            grant_id -> Uuid,
            partner_id -> Uuid,
            endpoint -> Text,
            account_id -> Nullable<Text>,
            rows_returned -> Int4,
            status -> Int2,
        }
    }

    diesel::table! {
        notices (id) {
            id -> Int8,
            grant_id -> Uuid,
            kind -> Text,
            days_before -> Int2,
            due_at -> Timestamptz,
            status -> Text,
            attempts -> Int4,
            next_attempt_at -> Timestamptz,
            last_error -> Nullable<Text>,
            skipped_reason -> Nullable<Text>,
            sent_at -> Nullable<Timestamptz>,
            message_id -> Nullable<Text>,
        }
    }

    diesel::table! {
        signing_keys (kid) {
            kid -> Text,
            alg -> Text,
            #[sql_name = "use"]
            key_use -> Text,
            state -> Text,
            public_jwk -> Jsonb,
            private_jwk -> Bytea,
            sealed_by -> Text,
            created_at -> Timestamptz,
            activated_at -> Nullable<Timestamptz>,
            retired_at -> Nullable<Timestamptz>,
        }
    }

    diesel::table! {
        bank_secrets (name) {
            name -> Text,
            secret -> Bytea,
            sealed_by -> Text,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        oidc_sign_ins (state_hash) {
            state_hash -> Bytea,
            nonce -> Text,
            pkce_verifier -> Text,
            flow_handle_hash -> Nullable<Bytea>,
            created_at -> Timestamptz,
        }
    }

    diesel::joinable!(notices -> grants (grant_id));
    diesel::joinable!(accounts -> customers (customer_id));
    diesel::joinable!(transactions -> accounts (account_id));
    diesel::joinable!(auth_requests -> partners (partner_id));
    diesel::joinable!(grants -> partners (partner_id));
    diesel::joinable!(grants -> customers (customer_id));
    diesel::joinable!(grant_accounts -> grants (grant_id));
    diesel::joinable!(grant_accounts -> accounts (account_id));
    diesel::joinable!(auth_codes -> grants (grant_id));
    diesel::joinable!(tokens -> grants (grant_id));
    diesel::joinable!(customer_certificates -> customers (customer_id));
    diesel::allow_tables_to_appear_in_same_query!(
        customers,
        accounts,
        transactions,
        audit_log,
        partners,
        auth_requests,
        login_guard,
        grants,
        grant_accounts,
        auth_codes,
        tokens,
        access_ledger,
        notices,
        customer_certificates,
        admins,
        web_sessions,
    );
}
