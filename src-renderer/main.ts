import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './features/shell/App.vue'
import './styles/base.css'

// Browser mode arrives as /?token=…: the server has set the cookie, so drop the token from the
// address bar (and from history and screenshots).
if (new URLSearchParams(location.search).has('token')) {
  history.replaceState(null, '', location.pathname + location.hash)
}

createApp(App).use(createPinia()).mount('#app')
